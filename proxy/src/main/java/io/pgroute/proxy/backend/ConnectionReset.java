package io.pgroute.proxy.backend;

import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.backend.ParameterStatus;
import io.pgroute.protocol.frontend.Query;

import java.util.function.Consumer;

/**
 * Brings a released backend connection back to a fresh session state with {@code DISCARD ALL} (session parameters,
 * prepared statements, temp tables, advisory locks, LISTEN), or checks an idle one is alive with an empty query,
 * and reports whether it is reusable: true after a clean ReadyForQuery 'I', false after an error or a close.
 */
final class ConnectionReset implements BackendListener {

    private final BackendConnection connection;
    private final String sql;
    private final Consumer<Boolean> done;
    private boolean failed;
    /** The server's first error, or null. */
    private io.pgroute.protocol.backend.ErrorResponse error;
    private boolean finished;

    ConnectionReset(BackendConnection connection, Consumer<Boolean> done) {
        this(connection, "DISCARD ALL", done);
    }

    /** Runs {@code sql} (e.g. an empty query as a liveness check) and reports whether the connection is fine. */
    ConnectionReset(BackendConnection connection, String sql, Consumer<Boolean> done) {
        this.connection = connection;
        this.sql = sql;
        this.done = done;
    }

    /** The error the server answered with, or null (none, or the connection closed). */
    io.pgroute.protocol.backend.ErrorResponse error() {
        return error;
    }

    void start() {
        connection.attach(this);
        connection.setAutoRead(true);
        connection.write(new Query(sql));
        connection.flush();
    }

    @Override
    public void onBackendFrame(BackendConnection source, PgFrame frame) {
        try {
            if (frame.is(BackendType.ERROR_RESPONSE)) {
                if (!failed) {
                    error = frame.decode(io.pgroute.protocol.backend.ErrorResponse::decode);
                }
                failed = true;
            } else if (frame.is(BackendType.PARAMETER_STATUS)) {
                ParameterStatus status = frame.decode(ParameterStatus::decode);
                connection.onParameterStatus(status.name(), status.value());
            } else if (frame.is(BackendType.READY_FOR_QUERY)) {
                byte status = frame.body().getByte(frame.body().readerIndex());
                finish(!failed && status == 'I');
            }
        } finally {
            frame.release();
        }
    }

    @Override
    public void onBackendReadComplete(BackendConnection source) {
    }

    @Override
    public void onBackendWritabilityChanged(BackendConnection source, boolean writable) {
    }

    @Override
    public void onBackendClosed(BackendConnection source, Throwable cause) {
        finish(false);
    }

    private void finish(boolean reusable) {
        if (finished) {
            return;
        }
        finished = true;
        connection.detach();
        done.accept(reusable);
    }
}
