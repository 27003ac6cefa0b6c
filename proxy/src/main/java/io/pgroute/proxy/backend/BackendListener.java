package io.pgroute.proxy.backend;

import io.pgroute.protocol.PgFrame;

/**
 * What a backend connection reports to whoever leased it. All calls arrive on the connection's event loop, which is
 * the leasing client's event loop.
 */
public interface BackendListener {

    /** A frame from the backend; ownership passes to the listener. */
    void onBackendFrame(BackendConnection connection, PgFrame frame);

    /** The end of one read burst from the backend: time to flush towards the client. */
    void onBackendReadComplete(BackendConnection connection);

    /** The backend connection can take writes again, or cannot. */
    void onBackendWritabilityChanged(BackendConnection connection, boolean writable);

    /** The backend connection is gone; {@code cause} is null for an orderly close. */
    void onBackendClosed(BackendConnection connection, Throwable cause);
}
