package io.pgroute.proxy.session;

import io.netty.channel.EventLoop;
import io.pgroute.proxy.backend.BackendConnection;

/**
 * What a session needs from the server around it: forwarding cancels and being told when it ends.
 */
public interface SessionHost {

    /** Sends a CancelRequest for whatever {@code backend} is running. */
    void cancel(EventLoop loop, BackendConnection backend);

    /** The session now keeps its primary connection until it ends (temp table, LISTEN, …). */
    void onPinned(ClientSession session);

    /** Called once per session when it ends, whatever the reason. */
    void onSessionClosed(ClientSession session);
}
