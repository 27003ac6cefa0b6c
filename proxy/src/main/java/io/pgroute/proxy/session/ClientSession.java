package io.pgroute.proxy.session;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.BackendType;
import io.pgroute.proxy.backend.BackendConnection;
import io.pgroute.proxy.backend.BackendListener;
import io.pgroute.proxy.backend.BackendPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One client connection after authentication: relays request frames to its backend connection and response
 * frames back, byte for byte, and keeps what the session knows (transaction status, requests in flight,
 * shutdown). Confined to the client's event loop; handlers only turn Netty events into {@code onX} calls.
 *
 * <pre>
 *   Relaying(backend) --Terminate / client gone / backend gone / fatal error--> Closed
 *        | requestShutdown() while busy: draining = true, closes at the next idle ReadyForQuery
 * </pre>
 */
public final class ClientSession implements BackendListener {

    private static final Logger LOGGER = LoggerFactory.getLogger(ClientSession.class);

    private final SessionInfo info;
    private final Channel client;
    private final CancelRegistry.Key cancelKey;
    private final SessionHost host;
    private final BackendPool pool;
    private State state;
    private byte transactionStatus = 'I';
    private int pendingReadyForQuery;
    private boolean draining;
    private boolean backendSentFatal;
    /** Extended-protocol messages were sent and no Sync yet: the backend is mid-batch. */
    private boolean unsynced;

    /** Where the session stands. */
    sealed interface State permits Relaying, Closed {
    }

    /** Frames flow between the client and this backend connection. */
    record Relaying(BackendConnection backend) implements State {
    }

    /** The client is gone or being closed; nothing is relayed any more. */
    record Closed() implements State {
    }

    public ClientSession(SessionInfo info, Channel client, CancelRegistry.Key cancelKey, BackendPool pool,
                         BackendConnection backend, SessionHost host) {
        this.info = info;
        this.client = client;
        this.cancelKey = cancelKey;
        this.host = host;
        this.pool = pool;
        this.state = new Relaying(backend);
        backend.attach(this);
    }

    public SessionInfo info() {
        return info;
    }

    public long id() {
        return info.id();
    }

    public io.netty.channel.EventLoop eventLoop() {
        return client.eventLoop();
    }

    public CancelRegistry.Key cancelKey() {
        return cancelKey;
    }

    public byte transactionStatus() {
        return transactionStatus;
    }

    /** The backend connection the session relays to right now, if any. */
    public java.util.Optional<BackendConnection> backend() {
        return state instanceof Relaying relaying ? java.util.Optional.of(relaying.backend()) : java.util.Optional.empty();
    }

    /** True when no request is in flight and no transaction is open: the session can be closed without loss. */
    public boolean isIdle() {
        return pendingReadyForQuery == 0 && transactionStatus == 'I' && !unsynced;
    }

    // ---- client side events ----

    public void onClientFrame(PgFrame frame) {
        if (!(state instanceof Relaying relaying)) {
            frame.release();
            return;
        }
        FrontendType type = FrontendType.of(frame.type());
        if (type == null) {
            int code = frame.type() & 0xFF;
            frame.release();
            fatal(ErrorResponse.fatal(SqlState.PROTOCOL_VIOLATION, "invalid frontend message type " + code));
            return;
        }
        switch (type) {
            case TERMINATE -> {
                frame.release();
                close();
                return;
            }
            case QUERY, FUNCTION_CALL -> pendingReadyForQuery++;
            case SYNC -> {
                pendingReadyForQuery++;
                unsynced = false;
            }
            case PARSE, BIND, DESCRIBE, EXECUTE, CLOSE -> unsynced = true;
            default -> {
                // relayed as it is
            }
        }
        relaying.backend().write(frame);
    }

    public void onClientReadComplete() {
        if (state instanceof Relaying relaying) {
            relaying.backend().flush();
        }
    }

    public void onClientWritabilityChanged(boolean writable) {
        if (state instanceof Relaying relaying) {
            relaying.backend().setAutoRead(writable);
        }
    }

    public void onClientClosed() {
        close();
    }

    /** The client broke the protocol (bad frame, oversized length…): tell it and close. */
    public void onClientProtocolError(ErrorResponse error) {
        fatal(error);
    }

    /** A CancelRequest with this session's key arrived. */
    public void onCancelRequest() {
        if (state instanceof Relaying relaying && pendingReadyForQuery > 0) {
            BackendConnection backend = relaying.backend();
            LOGGER.debug("cancel session={} backend={}", id(), backend.label());
            host.cancel(client.eventLoop(), backend);
        }
    }

    /** Graceful shutdown: close now if idle, else after the running request finishes. */
    public void requestShutdown() {
        draining = true;
        if (isIdle()) {
            fatal(ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN, "terminating connection due to administrator command"));
        }
    }

    /** Shutdown timeout reached: close whatever is running. */
    public void forceShutdown() {
        fatal(ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN, "terminating connection due to administrator command"));
    }

    // ---- backend side events ----

    @Override
    public void onBackendFrame(BackendConnection connection, PgFrame frame) {
        if (!(state instanceof Relaying)) {
            frame.release();
            return;
        }
        boolean readyForQuery = frame.type() == BackendType.READY_FOR_QUERY.code();
        if (readyForQuery) {
            transactionStatus = frame.body().getByte(frame.body().readerIndex());
            if (pendingReadyForQuery > 0) {
                pendingReadyForQuery--;
            }
        }
        if (frame.type() == BackendType.ERROR_RESPONSE.code() && frame.decode(ErrorResponse::decode).isFatal()) {
            // the server says why it is closing (admin shutdown, terminated backend…): that error is the answer
            backendSentFatal = true;
        }
        client.write(frame, client.voidPromise());
        if (readyForQuery && draining && isIdle()) {
            fatal(ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN, "terminating connection due to administrator command"));
        }
    }

    @Override
    public void onBackendReadComplete(BackendConnection connection) {
        client.flush();
    }

    @Override
    public void onBackendWritabilityChanged(BackendConnection connection, boolean writable) {
        client.config().setAutoRead(writable);
    }

    @Override
    public void onBackendClosed(BackendConnection connection, Throwable cause) {
        if (!(state instanceof Relaying)) {
            return;
        }
        LOGGER.warn("backend closed session={} backend={} cause={}", id(), connection.label(),
                cause == null ? "closed by server" : cause.toString());
        state = new Closed();
        pool.release(connection, false);
        if (backendSentFatal) {
            client.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            host.onSessionClosed(this);
            return;
        }
        ErrorResponse error = ErrorResponse.fatal(SqlState.CONNECTION_FAILURE,
                "server closed the connection unexpectedly")
                .withDetail("The database server " + connection.target().node()
                        + " terminated the connection, probably because of a crash or an administrator command.");
        closeClient(error);
    }

    // ---- transitions ----

    private void fatal(ErrorResponse error) {
        if (state instanceof Relaying relaying) {
            pool.release(relaying.backend(), isIdle() && !backendSentFatal);
        }
        state = new Closed();
        closeClient(error);
    }

    private void close() {
        if (state instanceof Relaying relaying) {
            pool.release(relaying.backend(), isIdle() && !backendSentFatal);
        }
        state = new Closed();
        client.close();
        host.onSessionClosed(this);
    }

    private void closeClient(ErrorResponse error) {
        if (client.isActive()) {
            client.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
        } else {
            client.close();
        }
        host.onSessionClosed(this);
    }
}
