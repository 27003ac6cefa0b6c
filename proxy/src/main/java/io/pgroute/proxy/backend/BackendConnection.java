package io.pgroute.proxy.backend;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.codec.FrameBatch;
import io.pgroute.protocol.frontend.Terminate;
import io.pgroute.protocol.startup.CancelRequest;

import java.util.Map;

/**
 * One authenticated connection to a PostgreSQL node, ready for queries: the channel, the backend's process id and
 * secret key (for cancel), and the parameters the server reported at startup. It relays frames to its current
 * {@link BackendListener}.
 */
public final class BackendConnection {

    private static final BackendListener NOBODY = new DetachedListener();
    /** Statements kept prepared per connection before the least recently used is closed. */
    private static final int MAX_PREPARED = 512;

    private final Channel channel;
    private final BackendTarget target;
    private final int processId;
    private final byte[] secretKey;
    private final Map<String, String> serverParameters;
    private final long openedAtNanos = System.nanoTime();
    private final Map<String, String> reported;
    private final PreparedOnServer prepared = new PreparedOnServer(MAX_PREPARED);
    /** Frames and messages queued for the server until {@link #flush}, confined to the channel's event loop. */
    private final FrameBatch batch;
    private SessionSettings applied = new SessionSettings();
    private String unnamedStatement;
    private BackendListener listener = NOBODY;
    /** See {@link #attachments}; confined to the connection's event loop. */
    private long attachments;
    private int cancelsInFlight;
    private Runnable whenCancelsDone;

    BackendConnection(Channel channel, BackendTarget target, int processId, byte[] secretKey,
                      Map<String, String> serverParameters) {
        this.channel = channel;
        this.batch = new FrameBatch(channel);
        this.target = target;
        this.processId = processId;
        this.secretKey = secretKey.clone();
        this.serverParameters = Map.copyOf(serverParameters);
        this.reported = new java.util.HashMap<>(serverParameters);
    }

    void cancelStarted() {
        cancelsInFlight++;
    }

    void cancelFinished() {
        if (cancelsInFlight > 0 && --cancelsInFlight == 0 && whenCancelsDone != null) {
            Runnable action = whenCancelsDone;
            whenCancelsDone = null;
            action.run();
        }
    }

    /** Runs {@code action} now, or once every cancel sent for this connection has been processed. */
    void afterCancels(Runnable action) {
        if (cancelsInFlight == 0) {
            action.run();
        } else {
            whenCancelsDone = action;
        }
    }

    /** What the server reported for {@code name} at startup, its value after a RESET; "" if nothing. */
    public String serverParameter(String name) {
        return serverParameters.getOrDefault(name, "");
    }

    /** The parameters the server reported, kept current from every ParameterStatus it sent since startup. */
    public Map<String, String> reportedParameters() {
        return reported;
    }

    public void onParameterStatus(String name, String value) {
        reported.put(name, value);
    }

    /** Statements prepared on this connection under pgroute's names. */
    public PreparedOnServer prepared() {
        return prepared;
    }

    /** The session settings applied on this connection on top of its startup parameters. */
    public SessionSettings applied() {
        return applied;
    }

    public void applied(SessionSettings settings) {
        if (!applied.equals(settings)) {  // usually equal: no copy
            this.applied = new SessionSettings(settings);
        }
    }

    /** What the server answered the last {@link #applySettings} with when it refused it, or null. */
    private io.pgroute.protocol.backend.ErrorResponse settingsRefused;

    /**
     * Brings the connection to {@code wanted}: what earlier clients applied is reset ({@code RESET} of each) and the
     * rest set, so that the parameters the server reports are those a new client with {@code wanted} startup
     * parameters is told at login (COMPAT P1). {@code done} gets true once it is (at once when nothing changes), false
     * when the server refused it ({@link #settingsRefused}) or the connection is unusable.
     */
    public void applySettings(SessionSettings wanted, java.util.function.Consumer<Boolean> done) {
        settingsRefused = null;
        String sql = wanted.syncSql(applied);
        if (sql == null) {
            done.accept(true);
            return;
        }
        ConnectionReset[] reset = new ConnectionReset[1];
        reset[0] = new ConnectionReset(this, sql, clean -> {
            if (clean) {
                applied = new SessionSettings(wanted);
            } else {
                settingsRefused = reset[0].error();
            }
            done.accept(clean);
        });
        reset[0].start();
    }

    /**
     * The error the server answered the last {@link #applySettings} with (a client's startup parameter it refuses:
     * an unknown time zone, say), or null when it did not answer one.
     */
    public io.pgroute.protocol.backend.ErrorResponse settingsRefused() {
        return settingsRefused;
    }

    /** Which statement the connection's unnamed prepared statement holds (a pgroute name), or null. */
    public String unnamedStatement() {
        return unnamedStatement;
    }

    public void unnamedStatement(String backendName) {
        this.unnamedStatement = backendName;
    }

    /** The pool ran DISCARD ALL on this connection: no settings, no prepared statements left. */
    public void onReset() {
        prepared.clear();
        onDiscardAll();
    }

    /**
     * A client's DISCARD ALL completed: no settings left. Its prepared statements are the client session's to
     * forget, where the DISCARD ALL stood in what it sent (statements it defined later in the same stream stay).
     */
    public void onDiscardAll() {
        applied = new SessionSettings();
        unnamedStatement = null;
        reported.putAll(serverParameters);
    }

    public Channel channel() {
        return channel;
    }

    public BackendTarget target() {
        return target;
    }

    public int processId() {
        return processId;
    }

    public byte[] secretKey() {
        return secretKey.clone();
    }

    /**
     * Whether the server gave this connection a cancel key. A server behind another pooler (RDS Proxy and the like)
     * or a PostgreSQL-compatible server may send no BackendKeyData: its queries cannot be cancelled.
     */
    public boolean cancellable() {
        return secretKey.length >= CancelRequest.MIN_KEY_LENGTH;
    }

    public Map<String, String> serverParameters() {
        return serverParameters;
    }

    /** A short id for logs: node/pid. */
    public String label() {
        return target.node() + "/" + processId;
    }

    /** When the connection was opened, on the {@link System#nanoTime()} clock. */
    public long openedAtNanos() {
        return openedAtNanos;
    }

    public BackendListener listener() {
        return listener;
    }

    public void attach(BackendListener newListener) {
        this.listener = newListener;
        attachments++;
    }

    /**
     * How many times a session has attached to this connection: unchanged since a session left it means nobody
     * ran anything on it since (its {@code currval}/{@code lastval} are still that session's).
     */
    public long attachments() {
        return attachments;
    }

    public void detach() {
        this.listener = NOBODY;
    }

    public boolean isActive() {
        return channel.isActive();
    }

    /** Queues a frame for the backend (ownership passes); it goes out with the others at {@link #flush}. */
    public void write(PgFrame frame) {
        if (!batch.add(frame)) {
            batch.write();
            channel.write(frame, channel.voidPromise());
        }
    }

    /** Queues a message pgroute makes up (a Parse, a Close, a Query) after the frames queued before it. */
    public void write(FrontendMessage message) {
        batch.addMessage(message);
    }

    /** Sends what is queued. */
    public void flush() {
        batch.write();
        channel.flush();
    }

    /** The channel closed: what is still queued will never be sent. */
    void onClosed() {
        batch.discard();
    }

    public void setAutoRead(boolean autoRead) {
        channel.config().setAutoRead(autoRead);
    }

    public boolean isWritable() {
        return channel.isWritable();
    }

    /** Says goodbye to the backend with Terminate and closes. */
    public void terminate() {
        detach();
        if (channel.eventLoop().inEventLoop()) {
            batch.discard();
        }
        if (channel.isActive()) {
            channel.writeAndFlush(Terminate.INSTANCE).addListener(ChannelFutureListener.CLOSE);
        } else {
            channel.close();
        }
    }

    @Override
    public String toString() {
        return "BackendConnection[" + label() + "]";
    }

    /** Listener of a connection nobody leases: drops what arrives. */
    private static final class DetachedListener implements BackendListener {
        @Override
        public void onBackendFrame(BackendConnection connection, PgFrame frame) {
            frame.release();
        }

        @Override
        public void onBackendReadComplete(BackendConnection connection) {
        }

        @Override
        public void onBackendWritabilityChanged(BackendConnection connection, boolean writable) {
        }

        @Override
        public void onBackendClosed(BackendConnection connection, Throwable cause) {
        }
    }
}
