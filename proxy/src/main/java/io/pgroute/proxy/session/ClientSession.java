package io.pgroute.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.EventLoop;
import io.netty.util.concurrent.Future;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.backend.ErrorField;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.backend.ParameterStatus;
import io.pgroute.protocol.backend.ReadyForQuery;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.proxy.cache.CacheKey;
import io.pgroute.proxy.cache.CachedResult;
import io.pgroute.proxy.cache.RedisCache;
import io.pgroute.proxy.cache.ResultCache;
import io.pgroute.proxy.backend.BackendConnection;
import io.pgroute.proxy.backend.BackendListener;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendPool.Release;
import io.pgroute.proxy.backend.SessionSettings;
import io.pgroute.proxy.error.ErrorResponder;
import io.pgroute.proxy.logging.SessionMdc;
import io.pgroute.proxy.metrics.QueryRecorder;
import io.pgroute.proxy.routing.Lsn;
import io.pgroute.proxy.sql.Classifier;
import io.pgroute.proxy.sql.ParameterizedQuery;
import io.pgroute.proxy.sql.PlainBegin;
import io.pgroute.proxy.sql.StatementInfo;
import io.pgroute.proxy.sql.StatementKind;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Deque;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * One client connection after authentication. Requests are queued as they arrive and sent to a backend connection
 * leased for one transaction (or one autocommit request cycle) in {@code pool.mode: transaction}, or for the whole
 * session in {@code session} mode or once the session is pinned. Before a leased connection runs the client's
 * requests it is brought up to the client's session settings; prepared statements follow the client through
 * {@link StatementTranslator}. Confined to the client's event loop; handlers only turn Netty events into
 * {@code onX} calls.
 *
 * <pre>
 *   IDLE --request--> LEASING --leased, settings synced--> ACTIVE --ReadyForQuery 'I', nothing queued--> IDLE
 *                                                            |  (kept while in a transaction, mid-batch, pinned)
 *   any state --Terminate / client gone / backend gone / fatal--> CLOSED
 * </pre>
 */
public final class ClientSession implements BackendListener, ResponseQueue.Events {

    private static final Logger LOGGER = LoggerFactory.getLogger(ClientSession.class);
    /** Answers pgroute gives itself in one pump are flushed once this many bytes are gathered. */
    private static final int FLUSH_ANSWERS_ABOVE = 64 * 1024;
    /**
     * Rows relayed from a server are flushed once this many bytes are gathered, not only when the server's read is
     * complete: a fast server fills up to sixteen 64 kB reads (a megabyte) before that, and the client would wait for
     * all of it, idle, then get it in one burst.
     */
    private static final int FLUSH_ROWS_ABOVE = 64 * 1024;
    /** The body of DEALLOCATE ALL's CommandComplete: the tag and its NUL. */
    private static final byte[] DEALLOCATE_ALL_TAG =
            "DEALLOCATE ALL\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    /** The body of DISCARD ALL's CommandComplete. */
    private static final byte[] DISCARD_ALL_TAG = "DISCARD ALL\0".getBytes(java.nio.charset.StandardCharsets.US_ASCII);
    private final SessionInfo info;
    private final Channel client;
    /** Every write to the client, in order (relayed frames gathered per burst). */
    private final ClientWriter out;
    private final CancelRegistry.Key cancelKey;
    private final SessionHost host;
    private final SessionRouting routing;
    private final Deque<PgFrame> waiting = new ArrayDeque<>(4);  // grows with a pipeline; most hold one or two
    private final ResponseQueue responses = new ResponseQueue(this);
    private final StatementTranslator translator;
    /** Why the session keeps its primary connection between transactions, if it does. */
    private final SessionPins pins = new SessionPins();
    /** What is left of the state the session is pinned for, asked when a statement may have ended the last of it. */
    private final StateProbe stateProbe = new StateProbe();
    private final SettingsTracker settings = new SettingsTracker(pins);
    /**
     * The client's startup parameters pgroute replays with SET ({@link SessionSettings#startup}: its
     * application_name, TimeZone, DateStyle…), which its RESETs go back to.
     */
    private final SessionSettings startup;
    /** What the server reported for each of them at login (as it spells them), by lower-case name: RESET's report. */
    private final java.util.Map<String, String> startupReported;
    /** The value of each reported parameter the client was last told in a ParameterStatus, by lower-case name. */
    private java.util.Map<String, String> told;
    /** Whether {@link #told} is this session's own; until then it is shared (see {@link #TOLD}) and never written. */
    private boolean toldOwn;
    /**
     * The parameters clients were told at login, and their startup parameters as the server spelt them: one map for
     * all the sessions with the same (most of them: the server's report with the driver's settings), so that each
     * idle client does not hold copies of its own. Keys and values alike: a map here is never written.
     */
    private static final SharedValues<java.util.Map<String, String>> TOLD = new SharedValues<>(1 << 20,
            map -> 64 + 96 * map.size());
    /**
     * A statement that resets one of the {@link #startup} parameters (RESET, RESET ALL, DISCARD ALL, SET … TO
     * DEFAULT) was sent on the held connection: the server went back to its own value, not the client's, and reports
     * that, which the client is told as its own; the connection is set again before the client's next request, in
     * its transaction or after it ({@link #resyncPending}).
     */
    private boolean startupReset;
    /** DDL was sent since the session was last idle: the relation catalog is read again once it is idle. */
    private boolean ddlSinceIdle;
    /** The held connection needs the client's settings set again before its next request (see startupReset). */
    private boolean resyncPending;
    /** {@link #effectiveSettings()} as last made, and the count of the client's changes it was made at. */
    private SessionSettings effective;
    private int effectiveAt;
    private final SettingsReplay replay = new SettingsReplay();
    private final SequenceState sequences = new SequenceState();
    private final Deallocations deallocations = new Deallocations();
    /** The connection being leased must have its sequence state discarded before the unit runs (see attach). */
    private boolean discardSequences;
    /** A plan generation no statement has: a statement recorded with it is prepared again before its next use. */
    private static final int STALE_GENERATION = Integer.MIN_VALUE;
    /** An error pgroute sent for a Flush-ended request: what the client sends is dropped up to its Sync. */
    private boolean skippingToSync;
    /** Every frame of the client's last read has been queued (its read-complete came). */
    private boolean clientReadDone = true;
    /**
     * Armed while the session waits for its client: in a transaction for pool.idle_transaction_timeout, outside one
     * for the client's own idle_session_timeout (which pgroute keeps instead of the servers).
     */
    private io.netty.util.concurrent.ScheduledFuture<?> idleTimer;
    /** The client's idle_session_timeout as written (the last one read), and in nanoseconds (0: none). */
    private String idleSessionValue;
    private long idleSessionNanos;
    private final ReadPlacement placement;
    /** The skeleton of the Query being relayed unread, as its pieces arrive (see {@link #skeletonOfUnread}). */
    private io.pgroute.proxy.sql.QuerySkeleton unreadSkeleton;
    /** The tables of the unread Query's last piece have been begun (see {@link #unreadLastPieceMayGo}). */
    private boolean unreadBegun;
    private BackendConnection backend;
    private BackendPool backendPool;
    private boolean leasing;
    private boolean closed;
    private boolean inBatch;
    private byte transactionStatus = 'I';
    /**
     * The client's BEGIN, answered by pgroute and not sent yet (see {@link #defersBegin}): it goes in front of the
     * transaction's first request, to the primary. Null when none waits.
     */
    private String deferredBegin;
    /**
     * A deferred BEGIN went in front of a request whose ReadyForQuery has not come yet: no further request cycle is
     * sent until it has, so that should the BEGIN fail, nothing the client sent after it runs outside a transaction.
     */
    private boolean beginUnconfirmed;
    private boolean draining;
    private boolean backendSentFatal;
    /**
     * The connection just leased for the unit at the head of the queue, until that unit goes out: while it is still
     * the one held, no second routing decision. Null otherwise; a connection given back or lost is never it.
     */
    private BackendConnection leasedForHead;
    /** Syncs the server ignored during COPY whose continuation the client has not sent yet (see {@link #send}). */
    private int ignoredSyncs;
    /** How far the result cache's look at the unit at the head of the queue has read it (see CacheUnit). */
    private final CacheUnit.TextScan textScan = new CacheUnit.TextScan();
    /** A CancelRequest came while {@link #leasing}: the request is answered 57014, not run. */
    private boolean cancelWhileLeasing;
    /** The pool's answer {@link #leasing} waits for; null when not waiting. */
    private Future<BackendConnection> leaseInFlight;
    /** A synthetic answer was written outside a backend read burst and awaits a flush. */
    private boolean unflushed;
    /**
     * Like {@link #unflushed}, for answers inside a request (a ParseComplete pgroute gave itself): PostgreSQL too
     * sends those only at its next flush, with the rest of the answer, so they may wait for the server's.
     */
    private boolean unflushedInRequest;
    /** The statement shape {@link #mentionsSequenceState} judged last (a classifier's fingerprint), and its verdict. */
    private String sequenceShape;
    private boolean sequenceShapeMentions;
    /** The replica read in flight whose answers are held until it cannot need the primary any more. */
    private ReplicaAttempt attempt;
    /**
     * The request at the head is being run again because a statement pgroute prepared by name for the client's
     * unnamed one went stale (see {@link ReplicaAttempt#onPlanChanged}): a second such refusal goes to the client, so
     * a table that keeps changing shape cannot keep the request going round.
     */
    private boolean rerunForPlan;

    /** The result cache's per-session reads and writes; both null when the database does not cache. */
    private final SessionCache cache;
    private final CacheWrites writes;
    /** The client's ReadyForQuery, held until the invalidation of the writes before it is acknowledged. */
    private PgFrame heldReady;
    private final QueryRecorder recorder;
    /** The request cycles in flight: their times and statements go to the recorder. */
    private final CycleLog cycles;
    /**
     * The result cache watches the unit being sent message by message: it went on before its end arrived (see
     * {@link #earlyUnitGate}).
     */
    private boolean earlyUnit;
    /** Reads from the client stopped: it sent more than a session queues ({@link UnitRoute#queuedTooMuch}). */
    private boolean readsHeldBack;
    /** The database is paused and this session waits to be woken (see {@link #pause}). */
    private boolean heldByPause;
    /**
     * Statements of queued messages being classified on the classifier's threads ({@link #classifyAhead}): nothing
     * is sent until they are back.
     */
    private int classifyingElsewhere;
    /** The head unit waits for the node monitor's fresh samples ({@link #awaitSamples}). */
    private boolean awaitingSamples;
    /** When the cache lookup in flight started. */
    private long lookupStartNanos;

    public ClientSession(SessionInfo info, Channel client, CancelRegistry.Key cancelKey, SessionRouting routing,
                         BackendPool pool, BackendConnection startupBackend, SessionHost host) {
        this(info, client, cancelKey, routing, pool, startupBackend, host, null, QueryRecorder.NONE);
    }

    public ClientSession(SessionInfo info, Channel client, CancelRegistry.Key cancelKey, SessionRouting routing,
                         BackendPool pool, BackendConnection startupBackend, SessionHost host,
                         ResultCache resultCache, QueryRecorder recorder) {
        this.info = info;
        this.recorder = recorder;
        this.cycles = new CycleLog(info.database(), recorder);
        this.out = new ClientWriter(client);
        boolean caching = resultCache != null && resultCache.enabledFor(info.database());
        this.cache = caching ? new SessionCache(resultCache, info) : null;
        this.writes = caching ? new CacheWrites(resultCache, info.database(), client.eventLoop(),
                routing.hasReplicas() ? routing::watermarkAfter : nanos -> java.util.OptionalLong.of(0)) : null;
        this.client = client;
        this.cancelKey = cancelKey;
        this.host = host;
        this.routing = routing;
        this.translator = new StatementTranslator(responses, client.alloc(),
                () -> effectiveSettings().get("search_path"), routing::planGeneration, host::maxPreparedBytes);
        this.translator.onParseSkipped(recorder::parseSkipped);
        SettingDefault serializable = SettingDefault.serializable(info.startupParameters(),
                routing::serializableByDefault);
        SettingDefault asynchronous = SettingDefault.asynchronousCommit(info.startupParameters(),
                routing::asynchronousByDefault);
        this.placement = new ReadPlacement(routing, () -> serializable.holds(settings.desired()),
                () -> asynchronous.holds(settings.desired()));
        routing.clientEncoding(startupBackend.reportedParameters().get("client_encoding"));
        this.startup = SessionSettings.startup(info.startupParameters());
        java.util.Map<String, String> reported = new java.util.HashMap<>();
        startupBackend.reportedParameters().forEach((name, value) -> reported.put(
                name.toLowerCase(java.util.Locale.ROOT), value));
        this.told = TOLD.of(reported);
        java.util.Map<String, String> spelt = new java.util.HashMap<>();
        for (String each : startup.values().keySet()) {
            // the server's spelling of the value (TimeZone's, DateStyle's); "" for one it does not report
            spelt.put(each, told.getOrDefault(each, ""));
        }
        this.startupReported = TOLD.of(spelt);  // never written: shared as told is
        this.backend = startupBackend;
        this.backendPool = pool;
        startupBackend.attach(this);
        if (routing.isPrimary(pool)) {
            sequences.attached(startupBackend, false);
        }
        maybeRelease();
    }

    public SessionInfo info() {
        return info;
    }

    public long id() {
        return info.id();
    }

    public EventLoop eventLoop() {
        return client.eventLoop();
    }

    public CancelRegistry.Key cancelKey() {
        return cancelKey;
    }

    public byte transactionStatus() {
        return transactionStatus;
    }

    /** The backend connection the session holds right now, if any. */
    public Optional<BackendConnection> backend() {
        return Optional.ofNullable(backend);
    }

    /** Why the session keeps its primary connection for good, or empty when it is not pinned. */
    public Optional<String> pinnedBecause() {
        return Optional.ofNullable(pins.reason());
    }

    /** True when nothing is queued or in flight and no transaction is open: closing loses nothing. */
    public boolean isIdle() {
        return waiting.isEmpty() && responses.isEmpty() && !inBatch && transactionStatus == 'I' && !leasing
                && heldReady == null && (cache == null || !cache.lookupInFlight());
    }

    // ---- client side events ----

    public void onClientFrame(PgFrame frame) {
        if (closed) {
            frame.release();
            return;
        }
        disarmIdle();
        FrontendType type = FrontendType.of(frame.type());
        if (type == null) {
            int code = frame.type() & 0xFF;
            frame.release();
            fatal(ErrorResponse.fatal(SqlState.PROTOCOL_VIOLATION, "invalid frontend message type " + code));
            return;
        }
        if (type == FrontendType.TERMINATE) {
            frame.release();
            close();
            return;
        }
        if (!namesReadable(frame, type)) {
            // routing and translation read these strings; PostgreSQL answers such a message with an ERROR and skips
            // to the Sync, pgroute ends the session, as for a message of a type it does not know
            frame.release();
            fatal(ErrorResponse.fatal(SqlState.PROTOCOL_VIOLATION, "invalid string in message"));
            return;
        }
        waiting.addLast(frame);
        clientReadDone = false;
        if (skippingToSync) {
            skipToSync();
            if (!skippingToSync) {
                pumpAndFlush();
            }
            return;
        }
        if (type == FrontendType.QUERY && frame.isPiece()) {
            skeletonOfUnread(frame);
        } else if ((type == FrontendType.QUERY || type == FrontendType.PARSE || type == FrontendType.BIND)
                && frame.startsMessage()) {  // a Bind's later pieces carry only its values
            classifyAhead(frame, type);
        }
        pump();
    }

    /**
     * A piece of a Query longer than limits.max_read_query_bytes, relayed unread as it arrives (COMPAT L1): its first
     * piece is routed and cached as a statement that may do anything ({@link Classifier#UNREAD_QUERY}), and its bytes
     * are read into a {@link io.pgroute.proxy.sql.QuerySkeleton} on their way, whose text the last piece carries: what
     * the session tracks of it (its writes, SETs, temporary tables) before the server can run it, which it does only
     * once the last byte is there. A Query whose skeleton says less than its text stays one that may do anything.
     */
    private void skeletonOfUnread(PgFrame piece) {
        if (piece.startsMessage()) {
            piece.standIn(Classifier.UNREAD_QUERY);
            // its bytes below 0x80 are read as ASCII: not in an encoding such as SJIS, whose characters hold some
            unreadSkeleton = routing.secondBytesMayBeAscii() ? null
                    : new io.pgroute.proxy.sql.QuerySkeleton(Classifier.INLINE_LIMIT);
            if (unreadSkeleton != null) {
                unreadSkeleton.feed(piece.body());
            }
            return;
        }
        if (unreadSkeleton != null) {
            unreadSkeleton.feed(piece.wire());
        }
        if (piece.endsMessage()) {
            String text = unreadSkeleton == null ? null : unreadSkeleton.finish();
            unreadSkeleton = null;
            piece.standIn(text != null ? text : Classifier.UNREAD_QUERY);
            if (text != null && routing.known(text) == null) {
                classifyElsewhere(() -> text, null);  // as any Query's text: not JSqlParser on the event loop
            }
        }
    }

    /**
     * Whether the last piece of a Query relayed unread, whose skeleton (or {@link Classifier#UNREAD_QUERY}) is
     * {@code text}, may go: with the cache on, once the tables it writes have been begun, as any Query's are before
     * it is sent. The server runs nothing before it has the whole message, so until then no cached answer of those
     * tables is stale.
     */
    private boolean unreadLastPieceMayGo(String text) {
        if (writes == null) {
            return true;
        }
        if (writes.beginning()) {
            return false;
        }
        if (unreadBegun) {
            unreadBegun = false;
            return true;
        }
        if (nothingToBegin(List.of(routing.classify(text)), List.of(text))) {
            return true;
        }
        unreadBegun = true;
        return false;
    }

    /**
     * Whether the strings pgroute reads from {@code frame} are all terminated: a Query's text, a Parse's or Bind's two
     * names, an Execute's portal, a Describe's or Close's name after its kind byte. Checked once as the message
     * arrives, so that no later reading of them can fail.
     */
    private static boolean namesReadable(PgFrame frame, FrontendType type) {
        if (frame.isRun() || !frame.startsMessage()) {
            return true;  // no body of its own: bytes after a message's first piece (which has its names, 16 kB)
        }
        return switch (type) {
            // not scanned: a long text is read on the classifier's threads, a longer one not at all (in pieces)
            case QUERY -> frame.isPiece() || endsWithNul(frame.body());
            case EXECUTE -> frame.hasCStrings(0, 1);
            case PARSE, BIND -> frame.hasCStrings(0, 2);
            case DESCRIBE, CLOSE -> frame.hasCStrings(1, 1);
            default -> true;
        };
    }

    private static boolean endsWithNul(ByteBuf body) {
        return body.isReadable() && body.getByte(body.writerIndex() - 1) == 0;
    }

    /** Runs {@code task} on {@code loop}, {@link #guarded}. */
    private void onLoop(EventLoop loop, Runnable task) {
        loop.execute(guarded(task));
    }

    /**
     * {@code task}, except that what it throws ends the session with an ErrorResponse, as a failure in the client's
     * pipeline does: a task on the event loop or a future's listener that threw would otherwise be logged by Netty
     * and leave the client waiting for an answer that never comes.
     */
    private Runnable guarded(Runnable task) {
        return () -> {
            try {
                task.run();
            } catch (RuntimeException failure) {
                LOGGER.warn("closing session={} after a failure: {}", info.id(), failure.toString(), failure);
                fatal(ErrorResponder.fatal(failure));
            }
        };
    }

    /**
     * Makes sure the statement a Query, Parse or Bind brings is classified before the pump needs it, without the
     * event loop waiting for JSqlParser or reading a long text: what {@link SessionRouting#known} cannot answer here
     * is classified on the classifier's threads (a long text is decoded there too), and the pump waits for it while
     * other sessions on this loop go on. Its strings were checked as it arrived ({@link #namesReadable}).
     */
    private void classifyAhead(PgFrame frame, FrontendType type) {
        if (type == FrontendType.BIND) {
            // a statement prepared earlier is classified again to route each unit that binds it
            PreparedStatements.Statement bound = translator.statements().get(frame.cString(1));
            if (bound != null && routing.known(bound.sql()) == null) {
                String sql = bound.sql();
                classifyElsewhere(() -> sql, null);
            }
            return;
        }
        int index = type == FrontendType.QUERY ? 0 : 1;
        if (frame.body().readableBytes() > Classifier.INLINE_LIMIT) {
            frame.retain();  // for the classifier's thread, which decodes it
            classifyElsewhere(() -> frame.cString(index), frame);
            return;
        }
        String sql = frame.cString(index);
        if (routing.known(sql) == null) {
            classifyElsewhere(() -> sql, null);
        }
    }

    private void classifyElsewhere(Supplier<String> text, PgFrame retained) {
        CompletableFuture<Classifier.Classified> classifying;
        try {
            classifying = routing.classifyElsewhere(text);
        } catch (RuntimeException rejected) {
            // the classifier is closed (pgroute is stopping): the pump classifies here, as before
            if (retained != null) {
                retained.release();
            }
            return;
        }
        classifyingElsewhere++;
        EventLoop loop = client.eventLoop();
        classifying.whenComplete((made, failure) -> onLoop(loop, () -> {
            if (retained != null) {
                retained.release();
            }
            classifyingElsewhere--;
            if (made != null) {
                routing.remember(made);
            }
            pumpUnlessAwaiting();
        }));
    }

    /** Pumps once nothing the head unit waits for elsewhere (a classification, fresh node samples) is pending. */
    private void pumpUnlessAwaiting() {
        if (!closed && classifyingElsewhere == 0 && !awaitingSamples) {
            pumpAndFlush();
        }
    }

    /**
     * The read at the head waits for the node monitor, which slept for lack of such reads, to sample every node again
     * (about a millisecond); other sessions on this loop go on. Nothing to wait for when {@code fresh} is null.
     */
    private void awaitSamples(CompletableFuture<Void> fresh) {
        if (fresh == null) {
            return;
        }
        awaitingSamples = true;
        fresh.whenComplete((ignored, failure) -> onLoop(client.eventLoop(), () -> {
            awaitingSamples = false;
            pumpUnlessAwaiting();
        }));
    }

    public void onClientReadComplete() {
        clientReadDone = true;
        if (cache != null && !waiting.isEmpty() && !closed && transactionStatus != 'I') {
            pump();  // an unfinished unit in a transaction waited for the rest of this read, and goes on now
        }
        if (backend != null) {
            backend.flush();
        }
        flushUnlessServerWill();
        if (!waiting.isEmpty() && !closed && UnitRoute.queuedTooMuch(waiting)) {
            readsHeldBack = true;  // until pump() has sent enough of it
            updateClientReads();
        }
    }

    /**
     * Reads from the client while nothing holds them back: no lease awaited, no PAUSE, not too much queued, and the
     * held server connection (if any) can take writes. The one place that decides it; each of those conditions calls
     * it when it changes.
     */
    private void updateClientReads() {
        client.config().setAutoRead(!closed && !leasing && !heldByPause && !readsHeldBack
                && (backend == null || backend.isWritable()));
    }

    /** After a pump: reads stopped because too much was queued go on once enough of it was sent. */
    private void resumeReadsIfDrained() {
        if (closed || UnitRoute.queuedTooMuch(waiting)) {
            return;
        }
        readsHeldBack = false;
        updateClientReads();
    }

    /**
     * Flushes what pgroute wrote the client itself. An answer inside a request is left to the read-complete of the
     * server's answer when a server owes this session a ReadyForQuery, to go out in the same send: a ParseComplete
     * for a statement the server already has would otherwise cost the client a wake-up and the proxy a send of its
     * own, ahead of the rest of the answer. Whole answers (up to ReadyForQuery) go out at once, as from PostgreSQL.
     */
    private void flushUnlessServerWill() {
        if (unflushed || unflushedInRequest && (backend == null || responses.pendingCycles() == 0)) {
            unflushed = false;
            unflushedInRequest = false;
            out.flush();
        }
    }

    public void onClientWritabilityChanged(boolean writable) {
        if (backend != null) {
            backend.setAutoRead(writable);
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
        if (leasing && (headUnitLength() > 0 || flushedUnitLength() > 0)) {
            // the request waits for a connection: it is answered 57014 now and never runs (COMPAT T6); one ended by
            // Flush gets the error at once and its Sync the ReadyForQuery (see answerHeadUnit)
            cancelWhileLeasing = true;
            if (leaseInFlight != null) {
                leaseInFlight.cancel(false);  // the pool skips a cancelled waiter
            }
            return;
        }
        if (replay.inFlight()) {
            replay.onCancel();  // answered 57014 when the replay is done; the replay itself is not cancelled (X2)
            return;
        }
        if (backend != null && !responses.isEmpty()) {
            try (SessionMdc.Scope ignored = mdc()) {
                LOGGER.debug("cancel session={} backend={}", id(), backend.label());
            }
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

    // ---- sending requests ----

    /** {@link #pump} outside a client read burst: nothing else will flush what it sent. */
    private void pumpAndFlush() {
        pump();
        if (backend != null) {
            backend.flush();
        }
        flushUnlessServerWill();
        armIdle();  // the client's turn, also after an answer pgroute gave itself
    }

    /**
     * Sends queued client messages as far as the current lease allows. At each request-unit boundary the unit is
     * routed (primary or a replica); a different node than the one held means: wait until the held connection
     * has answered everything, give it back, lease from the new node's pool. Then reads from the client go on again
     * if they stopped because too much was queued.
     */
    private void pump() {
        pumpQueue();
        if (waiting.isEmpty()) {
            routing.forgetClassifiedElsewhere();
        }
        if (readsHeldBack) {
            resumeReadsIfDrained();
        }
    }

    private void pumpQueue() {
        while (!closed && !leasing && classifyingElsewhere == 0 && !awaitingSamples && !replay.inFlight()
                && !waiting.isEmpty()) {
            PgFrame next = waiting.peekFirst();
            FrontendType type = FrontendType.of(next.type());
            if (type == FrontendType.QUERY && !next.startsMessage()) {
                // the rest of a Query relayed unread: on to where its first piece went
                if (backend != null && next.endsMessage() && !unreadLastPieceMayGo(next.cString(0))) {
                    return;  // its tables are being begun (the cache): the pump goes on once they are
                }
                waiting.pollFirst();
                if (backend != null) {
                    if (next.endsMessage()) {
                        // what it does, from its skeleton, is tracked with the cycle its first piece began
                        onExecuted(next.cString(0));
                        settings.endCycle();
                        settings.dropNewestCycle();
                    }
                    translator.send(backend, next, type, this::onExecuted);
                } else {
                    unreadBegun = false;
                    next.release();  // that connection failed: the session's error is on its way
                }
                continue;
            }
            if (heldByPause || (transactionStatus == 'I' && startsCycle(type, inBatch) && pause())) {
                return;
            }
            if (cache != null) {
                CacheGate gate = cacheGate(next, type);
                if (gate == CacheGate.ANSWERED) {
                    if (out.gatheredBytes() >= FLUSH_ANSWERS_ABOVE) {
                        flushUnlessServerWill();  // a client pipelining cached reads gets its answers as they come
                    }
                    continue;
                }
                if (gate == CacheGate.HOLD) {
                    return;
                }
            }
            if (type == FrontendType.QUERY && answeredHere(next)) {
                continue;
            }
            if (backend != null && resyncPending && transactionStatus != 'E' && responses.isEmpty()
                    && startsCycle(type, inBatch) && resync()) {
                continue;  // the request waits for the replay on the connection it keeps (see startupReset)
            }
            if (backend != null && mustStay()) {
                if (beginUnconfirmed && startsCycle(type, inBatch) && responses.pendingCycles() > 0) {
                    return;  // the deferred BEGIN's fate first (see beginUnconfirmed)
                }
                leasedForHead = null;  // the unit it was leased for goes now: the next one is routed again
                waiting.pollFirst();
                send(next, type);
                continue;
            }
            if (backend == null && (type == FrontendType.FLUSH || isCopyMessage(type))) {
                waiting.pollFirst().release();
                continue;
            }
            if (backend == null && type == FrontendType.PARSE && answeredBeginHere()) {
                continue;
            }
            if (backend == null && answerParseLocally()) {
                continue;
            }
            if (backend == null && transactionStatus == 'I' && type == FrontendType.PARSE && !headUnitArrived()) {
                // its Sync is on its way (in the same read, as a rule): a lone Parse+Sync of a statement a server
                // already knows is answered without a connection, one that only prepares may take the pool's reserve
                // connection, and a client that prepares synchronously (pgbench -M prepared) must not wait for a
                // pooled one while others of its thread hold them (COMPAT V12)
                return;
            }
            if (attempt != null) {
                return;  // a replica read may still be re-run on the primary: its answer comes first
            }
            BackendPool target = leasedForHead != null && leasedForHead == backend ? backendPool : route();
            leasedForHead = null;
            if (target == null) {
                awaitSamples(placement.takeSamplesAwaited());
                return;  // the unit's Sync (or Flush) has not arrived yet, or the node monitor was asleep
            }
            if (backend != null && target == backendPool) {
                if (responses.isEmpty() && routing.transactionPooling()) {
                    boolean replica = !routing.isPrimary(target);
                    if (replica || reusesOnPrimary(next)) {
                        attempt = ReplicaAttempt.capture(waiting, translator.statements(), !replica);
                    }
                }
                waiting.pollFirst();
                send(next, type);
                continue;
            }
            if (backend != null) {
                if (!responses.isEmpty()) {
                    return;  // answers from the held connection come first, in order
                }
                BackendConnection held = backend;
                backend = null;
                giveBack(held, Release.KEEP);
            }
            if (routing.isPrimary(target) && (SequenceState.mentioned(waiting, translator.statements(),
                    this::mentionsSequenceState) || UnitRoute.goesOnBeforeItsEnd(waiting))) {
                // a unit sent before its end may mention them in what has not arrived yet
                BackendConnection own = sequences.ownConnection(target);
                if (own != null) {
                    onLeasedInPump(target, own);  // currval/lastval find the session's own values there
                    return;
                }
                discardSequences = true;  // another session's values must not answer them (COMPAT T10)
            }
            lease(target);
            return;
        }
    }

    /**
     * {@link SequenceState#mentions}, remembered for the statement shape judged last: texts of one shape differ only
     * in literals and comments, where a mention calls nothing. Every request to the primary is judged, and pgbench
     * sends one shape after another.
     */
    private boolean mentionsSequenceState(String sql) {
        if (sql == io.pgroute.proxy.sql.Classifier.UNREAD_QUERY) {
            return true;  // it may call currval() or lastval(), for all pgroute knows
        }
        String shape;
        try {
            shape = routing.classify(sql).fingerprint();
        } catch (RuntimeException malformed) {
            return SequenceState.mentions(sql);
        }
        if (shape != null && shape == sequenceShape) {
            return sequenceShapeMentions;
        }
        boolean result = SequenceState.mentions(sql);
        sequenceShape = shape;
        sequenceShapeMentions = result;
        return result;
    }

    /**
     * A simple Query pgroute answers itself, as PostgreSQL would, with ReadyForQuery and the current transaction
     * status, and without a server connection: an empty one ({@code ""}, {@code ";"}, only comments), which connection
     * validators send constantly (pgjdbc's isValid, SQLAlchemy's pre-ping; COMPAT E14), a SET drivers send on every
     * new connection ({@link #localSet}), and a DEALLOCATE of a statement the client prepared with Parse. Not while
     * answers from a server are still owed, so the order stays.
     */
    private boolean answeredHere(PgFrame query) {
        if (inBatch || !responses.isEmpty() || attempt != null || heldReady != null
                || (cache != null && cache.lookupInFlight())) {
            return false;
        }
        StatementInfo statement;
        try {
            statement = routing.classify(query.cString(0));
        } catch (RuntimeException malformed) {
            return false;  // the usual path answers it
        }
        BackendMessage answer;
        String beginTag;
        LocalSet set;
        String shown;
        if (statement.kind() == StatementKind.EMPTY) {
            answer = io.pgroute.protocol.backend.EmptyQueryResponse.INSTANCE;
        } else if ((shown = shownHere(statement)) != null) {
            // as PostgreSQL answers SHOW: one text column named as the parameter is spelt, its value, SHOW
            waiting.pollFirst().release();
            out.write(new io.pgroute.protocol.backend.RowDescription(List.of(new io.pgroute.protocol.backend
                    .RowDescription.Field(shown, 0, (short) 0, TEXT_OID, (short) -1, -1, (short) 0))));
            out.write(new io.pgroute.protocol.backend.DataRow(new byte[][] {
                    told.get(shown.toLowerCase(java.util.Locale.ROOT)).getBytes(java.nio.charset.StandardCharsets.UTF_8)}));
            answerHere(new io.pgroute.protocol.backend.CommandComplete("SHOW"));
            return true;
        } else if ((set = localSet(statement)) != null) {
            settings.answeredHere(statement);  // set with the client's other settings on its next lease
            waiting.pollFirst().release();
            out.write(new io.pgroute.protocol.backend.CommandComplete("SET"));
            String name = set.reportedName() == null ? null : set.reportedName().toLowerCase(java.util.Locale.ROOT);
            if (name != null && !set.reportedValue().equals(told.get(name))) {
                out.write(new ParameterStatus(set.reportedName(), set.reportedValue()));
                tell(name, set.reportedValue());
            }
            out.write(ReadyForQuery.of(transactionStatus));
            unflushed = true;
            return true;
        } else if ((beginTag = defersBegin(statement, query)) != null) {
            deferredBegin = query.cString(0);
            transactionStatus = 'T';
            answer = new io.pgroute.protocol.backend.CommandComplete(beginTag);
        } else if (deallocatesClientStatement(statement)) {
            // SQL DEALLOCATE of a statement the client prepared with Parse (PHP PDO does this): on the servers it
            // has pgroute's name, so it is the client's own map that forgets it (COMPAT V8)
            translator.statements().remove(statement.target().orElseThrow());
            answer = new io.pgroute.protocol.backend.CommandComplete("DEALLOCATE");
        } else {
            return false;
        }
        waiting.pollFirst().release();
        answerHere(answer);
        return true;
    }

    /** PostgreSQL's text type. */
    private static final int TEXT_OID = 25;
    /**
     * Parameters whose value a client's {@code SHOW} gets from what the server last reported to it (their
     * ParameterStatus), by lower-case name, spelt as PostgreSQL spells them: what drivers and ORMs ask on every new
     * connection (SQLAlchemy: {@code show standard_conforming_strings}; COMPAT G12).
     */
    private static final java.util.Map<String, String> SHOWN_AS_REPORTED = java.util.Map.of(
            "application_name", "application_name", "client_encoding", "client_encoding", "datestyle", "DateStyle",
            "intervalstyle", "IntervalStyle", "timezone", "TimeZone", "standard_conforming_strings",
            "standard_conforming_strings", "server_version", "server_version", "server_encoding", "server_encoding",
            "integer_datetimes", "integer_datetimes");

    /**
     * The name (as PostgreSQL spells it) of the parameter {@code statement} SHOWs, when pgroute answers it from what
     * the client was told ({@link #told}), under the same conditions as a {@link #localSet}; null otherwise.
     */
    private String shownHere(StatementInfo statement) {
        if (statement.kind() != StatementKind.SHOW || statement.multiStatement() || !settingsAnsweredHere()) {
            return null;
        }
        String name = statement.target().map(each -> each.toLowerCase(java.util.Locale.ROOT)).orElse(null);
        String spelt = name == null ? null : SHOWN_AS_REPORTED.get(name);
        return spelt != null && told.containsKey(name) ? spelt : null;
    }

    /**
     * {@code statement} as a SET pgroute answers itself ({@link LocalSet}: what drivers send on every new connection,
     * a server round trip each), or null: outside a transaction, with no server connection held or being leased.
     */
    private LocalSet localSet(StatementInfo statement) {
        if (statement.kind() != StatementKind.SET || statement.multiStatement() || !settingsAnsweredHere()) {
            return null;
        }
        return LocalSet.of(statement.setting().orElse(null));
    }

    /**
     * Whether a SET or SHOW may be answered here ({@link #localSet}, {@link #shownHere}): outside a transaction, with
     * no server connection held or being leased, whose reports could still change what the client was told.
     */
    private boolean settingsAnsweredHere() {
        return transactionStatus == 'I' && backend == null && !leasing && !pins.pinned();
    }

    /**
     * The command tag to answer the BEGIN Query {@code query} with, when pgroute may answer it itself and send it in
     * front of the transaction's first request ({@code pool.defer_begin}), saving the server a round trip: a plain
     * BEGIN ({@link PlainBegin}, which cannot fail but for a cancel or the connection) outside a transaction, with
     * transaction pooling and no connection held. Null otherwise.
     */
    private String defersBegin(StatementInfo statement, PgFrame query) {
        if (statement.kind() != StatementKind.TRANSACTION_BEGIN || statement.multiStatement() || !mayDeferBegin()) {
            return null;
        }
        return PlainBegin.tag(query.cString(0));
    }

    /**
     * Whether a BEGIN at the head of the queue may be answered here (see {@link #defersBegin}): outside a transaction,
     * nothing owed or in flight, no connection held or being leased, not pinned, transaction pooling.
     */
    private boolean mayDeferBegin() {
        return transactionStatus == 'I' && !inBatch && responses.isEmpty() && attempt == null && heldReady == null
                && backend == null && !leasing && !pins.pinned() && routing.transactionPooling()
                && host.deferBegin() && (cache == null || !cache.lookupInFlight());
    }

    /**
     * {@link #defersBegin} for a BEGIN sent with the extended protocol (see {@link ExtendedBegin}): answered here as
     * the server would, and sent in front of the transaction's first request.
     */
    private boolean answeredBeginHere() {
        if (!mayDeferBegin()) {
            return false;
        }
        int length = headUnitLength();
        ExtendedBegin unit = ExtendedBegin.of(waiting, length, translator);
        if (unit == null) {
            return false;
        }
        unit.defineParsed(translator.statements());
        for (int i = 0; i < length; i++) {
            waiting.pollFirst().release();
        }
        deferredBegin = unit.sql();
        transactionStatus = 'T';
        for (BackendMessage each : unit.answers()) {
            responses.add(ResponseQueue.Entry.answered(each));
        }
        responses.add(ResponseQueue.Entry.answered(ReadyForQuery.of(transactionStatus)));
        return true;
    }

    /** Answers the client as the server would have, {@code answer} then ReadyForQuery; flushed with the burst. */
    private void answerHere(BackendMessage answer) {
        out.write(answer);
        out.write(ReadyForQuery.of(transactionStatus));
        unflushed = true;
    }

    private boolean deallocatesClientStatement(StatementInfo statement) {
        return statement.kind() == StatementKind.DEALLOCATE && !statement.multiStatement() && transactionStatus != 'E'
                && statement.target().filter(name -> !name.equals("all") && !name.isEmpty()
                        && translator.statements().get(name) != null).isPresent();
    }

    /** Whether a message of {@code type} starts a new request cycle (rather than continue a batch or a COPY). */
    private static boolean startsCycle(FrontendType type, boolean inBatch) {
        return type == FrontendType.QUERY || type == FrontendType.FUNCTION_CALL
                || (!inBatch && (type == FrontendType.PARSE || type == FrontendType.BIND
                || type == FrontendType.DESCRIBE || type == FrontendType.EXECUTE || type == FrontendType.CLOSE
                || type == FrontendType.SYNC));
    }

    /**
     * The database is paused (admin console PAUSE): holds the session's next statement, and reading from the
     * client, until it is resumed. True while held.
     */
    private boolean pause() {
        if (!host.holdIfPaused(info.database(), () -> onLoop(client.eventLoop(), this::resumed))) {
            return false;
        }
        heldByPause = true;
        updateClientReads();
        return true;
    }

    private void resumed() {
        heldByPause = false;
        if (closed) {
            return;
        }
        updateClientReads();
        pumpAndFlush();
    }

    /** The result cache's say on the message at the head of the queue. */
    private enum CacheGate {
        /** Go on with it. */
        SEND,
        /** Not now: a lookup or an invalidation will continue the session. */
        HOLD,
        /** Its unit was answered from the cache and left the queue: go on with what follows. */
        ANSWERED
    }

    /**
     * The result cache's say on sending {@code next}: not while a lookup or an invalidation is in flight, no new
     * request cycle while writes wait for their invalidation, and a cacheable read unit is looked up first (and
     * answered at once when this instance holds its answer).
     */
    private CacheGate cacheGate(PgFrame next, FrontendType type) {
        if (cache.lookupInFlight() || heldReady != null || writes.beginning()) {
            return CacheGate.HOLD;
        }
        if (earlyUnit) {
            CacheGate early = earlyUnitGate(next, type);
            if (early != null) {
                return early;
            }
        }
        if (!startsCycle(type, inBatch)) {
            return CacheGate.SEND;
        }
        if (writes.unsettled() && responses.pendingCycles() > 0) {
            return CacheGate.HOLD;  // a commit's invalidation must not be overtaken by a later request cycle
        }
        if (type == FrontendType.QUERY && next.isPiece()) {
            // a Query relayed unread (COMPAT L1): never cached; its tables are begun before its last piece goes,
            // once its skeleton names them (unreadLastPieceMayGo)
            return CacheGate.SEND;
        }
        if (CacheUnit.comesInPieces(waiting)) {
            // sent before its Sync arrives (COMPAT L1): message by message, as a batch too big to hold
            earlyUnit = true;
            CacheGate early = earlyUnitGate(next, type);
            return early != null ? early : CacheGate.SEND;
        }
        if (CacheUnit.awaitsItsEnd(waiting)) {
            return incompleteUnit(next, type);  // what follows would decode the unit only to find it incomplete
        }
        boolean mayLookUp = transactionStatus == 'I' && !pins.pinned() && responses.isEmpty()
                && attempt == null && cache.unchecked(next);
        CacheUnit unit = mayLookUp ? CacheUnit.of(waiting, translator.statements()) : CacheUnit.NONE;
        if (unit == CacheUnit.INCOMPLETE) {
            return incompleteUnit(next, type);  // its Sync has not arrived yet
        }
        // a candidate runs one statement: its text is the unit's, without decoding the messages again
        List<String> texts = unit.candidate() ? List.of(unit.sql())
                : CacheUnit.statementTexts(waiting, translator.statements(), textScan);
        if (texts == null) {
            return incompleteUnit(next, type);  // the unit is not complete yet
        }
        List<StatementInfo> statements = new ArrayList<>(texts.size());
        for (String each : texts) {
            statements.add(routing.classify(each));
        }
        if (!nothingToBegin(statements, texts)) {
            return CacheGate.HOLD;
        }
        if (!mayLookUp) {
            return CacheGate.SEND;
        }
        cache.checked(next);
        return unit.candidate() ? startLookup(unit, statements.get(0)) : CacheGate.SEND;
    }

    /**
     * The cache's say on a unit whose end has not arrived: outside a transaction, wait for it (a lookup needs the
     * whole unit), unless the unit is too big to hold until then (COMPAT E15). Such a unit, and any in a transaction,
     * goes on message by message ({@link #earlyUnitGate}): PostgreSQL runs what it gets, and a client may wait for an
     * error before it sends its Sync (COMPAT E3).
     */
    private CacheGate incompleteUnit(PgFrame head, FrontendType type) {
        if ((transactionStatus == 'I' || !clientReadDone) && !UnitRoute.goesOnBeforeItsEnd(waiting)) {
            return CacheGate.HOLD;  // in a transaction, until the client's read is done: its Sync may be in it
        }
        earlyUnit = true;
        CacheGate early = earlyUnitGate(head, type);
        return early != null ? early : CacheGate.SEND;
    }

    /**
     * The cache's say on each message of a unit sent before its end arrived (a batch too big to hold). Its statements
     * are tracked as they run, like a transaction's, and its tables are begun where its implicit transaction commits:
     * before its Sync (or a Query or FunctionCall that ends it instead). A statement that may commit earlier
     * (transaction control, anything but a plain read or write) or that pgroute cannot read begins every table at
     * once. A unit with a message coming in pieces (a Bind with a big parameter) goes the same way. Null: the message
     * ends the unit and is not a Sync, the usual gate decides on it.
     */
    private CacheGate earlyUnitGate(PgFrame next, FrontendType type) {
        if (type == FrontendType.SYNC || type == FrontendType.QUERY || type == FrontendType.FUNCTION_CALL) {
            if (transactionStatus == 'I' && !startBegin(writes.toBeginBeforeCommit())) {
                return CacheGate.HOLD;  // asked again once begun
            }
            earlyUnit = false;
            return type == FrontendType.SYNC ? CacheGate.SEND : null;
        }
        if (mayCommitOrIsUnknown(next, type)) {
            earlyUnit = false;
            return startBegin(writes.toBeginAnything()) ? CacheGate.SEND : CacheGate.HOLD;
        }
        return CacheGate.SEND;
    }

    /**
     * Whether a Parse or Bind of an early unit has a statement that may commit before the unit's end, or one pgroute
     * cannot name the tables of: it does not know the bound statement, or cannot read the message.
     */
    private boolean mayCommitOrIsUnknown(PgFrame message, FrontendType type) {
        if (type != FrontendType.PARSE && type != FrontendType.BIND || !message.startsMessage()) {
            // Describe, Execute, Close, Flush: judged by the statements they refer to; the rest of a message coming
            // in pieces: by its first piece, which holds its names
            return false;
        }
        try {
            String sql;
            if (type == FrontendType.PARSE) {
                sql = message.cString(1);
            } else {
                PreparedStatements.Statement bound = translator.statements().get(message.cString(1));
                sql = bound == null ? null : bound.sql();
            }
            if (sql == null) {
                return true;
            }
            StatementInfo statement = routing.classify(sql);
            return statement.multiStatement() || statement.kind() != StatementKind.READ
                    && statement.kind() != StatementKind.WRITE && statement.kind() != StatementKind.EMPTY;
        } catch (RuntimeException malformed) {
            return true;
        }
    }

    /**
     * Before a unit that may commit writes is sent, its tables' versions are bumped and put in flux (see
     * {@link CacheWrites}): true when the unit needs nothing begun, false when its begin was just started.
     */
    private boolean nothingToBegin(List<StatementInfo> statements, List<String> texts) {
        return startBegin(writes.toBegin(statements, texts, transactionStatus));
    }

    /** Starts beginning {@code begin} (see {@link #nothingToBegin}); true when there is nothing to begin. */
    private boolean startBegin(ResultCache.Invalidation begin) {
        if (begin.isNone()) {
            return true;
        }
        EventLoop loop = client.eventLoop();
        writes.begin(begin).whenComplete((begun, failure) -> onLoop(loop, () -> {
            writes.begun(begun);
            if (!closed) {
                pumpAndFlush();
            }
        }));
        return false;
    }

    /**
     * Looks a cacheable unit up: SEND when it is not cacheable after all, ANSWERED when the local cache answered it
     * at once, else HOLD until the lookup completes (Redis, or the local cache's lease) and continues the session.
     */
    private CacheGate startLookup(CacheUnit unit, StatementInfo statement) {
        Optional<ResultCache.ReadPlan> plan = cache.plan(statement);
        if (plan.isEmpty() || routing.isKnownWrite(unit.sql())
                || unit.parse() != null && !translator.fits(unit.parse().name(), unit.parse().sql())) {
            return CacheGate.SEND;  // a Parse past the statements' limit is refused by the translator
        }
        CacheKey key = cache.key(unit, settings.desired().values());
        EventLoop loop = client.eventLoop();
        lookupStartNanos = System.nanoTime();
        CompletableFuture<RedisCache.Lookup> lookup = cache.lookup(key, plan.get());
        RedisCache.Lookup now = lookup.isDone() && !lookup.isCompletedExceptionally() ? lookup.join() : null;
        if (now != null && now.hit().isPresent()) {
            looked(statement, now);
            answerFromCache(unit, statement, now.hit().get());  // the pump goes on with what follows the unit
            return CacheGate.ANSWERED;
        }
        lookup.thenAccept(found -> onLoop(loop, () -> {
            looked(statement, found);
            if (found.hit().isPresent()) {
                answerFromCache(unit, statement, found.hit().get());
                if (!closed) {
                    pumpAndFlush();
                }
                return;
            }
            cache.lookupDone();
            if (closed) {
                return;
            }
            found.versions().filter(io.pgroute.proxy.cache.TableVersions::epochKnown).ifPresent(each -> {
                if (each.storable()) {
                    cache.startFill(key, plan.get(), each, routing.clusterState());
                }
                if (each.inFlux()) {
                    placement.forcePrimaryOnce();  // a write to its tables may have committed: read it
                } else {
                    placement.requireOnce(each.watermark());  // a replica that has the tables' last write
                }
            });
            pumpAndFlush();
        }));
        return CacheGate.HOLD;
    }

    private void looked(StatementInfo statement, RedisCache.Lookup found) {
        cache.looked(statement, found.hit().isPresent());
        if (!found.local()) {
            cache.observed(System.nanoTime());
        }
    }

    /**
     * A hit: the unit's messages are answered with the stored frames and ReadyForQuery, no server involved; flushed
     * with the burst.
     */
    private void answerFromCache(CacheUnit unit, StatementInfo statement, CachedResult result) {
        cache.lookupDone();
        if (closed) {
            return;
        }
        for (int i = 0; i < unit.frames(); i++) {
            waiting.pollFirst().release();
        }
        if (unit.parse() != null) {
            translator.statements().define(unit.parse().name(), unit.parse().sql(), unit.parse().parameterTypes());
        }
        placement.raiseFloor(result.watermark());  // later reads never older than what this answer showed
        long nanos = System.nanoTime() - lookupStartNanos;
        recorder.query(info.database(), QueryRecorder.Route.CACHE, nanos);
        recorder.statement(info.database(), statement.fingerprint(), unit.sql(),
                QueryRecorder.Route.CACHE, "cache hit", nanos);
        out.writeCopy(result.frames());
        out.write(ReadyForQuery.IDLE);
        unflushed = true;
    }

    /** See {@link StatementTranslator#answerParseLocally}: only outside a transaction. */
    private boolean answerParseLocally() {
        return transactionStatus == 'I' && translator.answerParseLocally(waiting, routing::isParsed);
    }

    /** The held connection must run whatever comes next: mid-batch, in a transaction, pinned, or session mode. */
    private boolean mustStay() {
        return inBatch || transactionStatus != 'I' || pins.pinned() || !routing.transactionPooling();
    }

    /**
     * Whether the unit at the head, going to the primary, is kept as a replica read is, so that it may run by its
     * pgroute name (see {@link StatementTranslator#reuse}): a read outside a transaction that starts with an unnamed
     * Parse, or is a simple Query, and is all the client has sent (keeping it holds back what comes after it until
     * its first row).
     */
    private boolean reusesOnPrimary(PgFrame next) {
        if (transactionStatus != 'I' || pins.pinned()) {
            return false;
        }
        if (next.is(FrontendType.QUERY)) {
            return waiting.size() == 1 && host.prepareSimpleQueries() && isLoneRead(next.cString(0));
        }
        if (!next.is(FrontendType.PARSE)) {
            return false;
        }
        int syncs = 0;
        PgFrame last = null;
        for (PgFrame each : waiting) {
            syncs += each.is(FrontendType.SYNC) ? 1 : 0;
            last = each;
        }
        if (syncs != 1 || !last.is(FrontendType.SYNC)) {
            return false;
        }
        try {
            if (!next.cString(0).isEmpty()) {
                return false;
            }
            UnitRoute unit = UnitRoute.of(waiting, translator.statements(), routing);
            StatementInfo statement = unit == null ? null : unit.statement();  // one statement: the unit's only one
            return statement != null && statement.readOnly() && statement.kind() == StatementKind.READ
                    && !statement.multiStatement();
        } catch (RuntimeException malformed) {
            return false;  // the server will say
        }
    }

    /** Whether the simple Query {@code sql} is one statement that only reads (see {@link #reusesOnPrimary}). */
    private boolean isLoneRead(String sql) {
        try {
            StatementInfo statement = routing.classify(sql);
            return statement.readOnly() && statement.kind() == StatementKind.READ && !statement.multiStatement();
        } catch (RuntimeException malformed) {
            return false;  // the server will say
        }
    }

    /** The pool for the request unit at the head of the queue, or null while the unit is incomplete. */
    private BackendPool route() {
        if (deferredBegin != null) {
            return routing.primaryPool(client.eventLoop());  // the transaction begins there, whatever comes first
        }
        return placement.place(client.eventLoop(), waiting, translator.statements(),
                backend == null ? null : backendPool);
    }

    private void send(PgFrame frame, FrontendType type) {
        // the Sync after an extended COPY's data ends the cycle whose first Sync the server ignored
        boolean continuing = type == FrontendType.SYNC && !inBatch && ignoredSyncs > 0;
        if (continuing) {
            ignoredSyncs--;
        } else if (startsCycle(type, inBatch)) {
            cycles.sent(System.nanoTime(), cycleReason());
            deallocations.cycleSent();
        }
        if (deferredBegin != null) {
            String begin = deferredBegin;
            deferredBegin = null;
            beginUnconfirmed = true;
            translator.begin(backend, begin);
            onExecuted(begin);
        }
        switch (type) {
            case QUERY, FUNCTION_CALL -> {
                translator.reuse(reuse());
                translator.prepareQueries(host.prepareSimpleQueries());
                translator.send(backend, frame, type, this::onExecuted);
                settings.endCycle();  // a Query relayed unread: its statements join this cycle at its last piece
            }
            case SYNC -> {
                translator.send(backend, frame, type, this::onExecuted);
                if (!continuing) {
                    settings.endCycle();
                }
                inBatch = false;
            }
            case PARSE, BIND, DESCRIBE, EXECUTE, CLOSE -> {
                inBatch = true;
                translator.reuse(reuse());  // a repeated unnamed statement may run by its pgroute name
                // in a transaction, an earlier request still unanswered may yet fail it (a client that pipelines);
                // outside one, each request's failure ends with its own Sync and the next runs as usual
                translator.transactionMayHaveFailed(transactionStatus == 'E'
                        || transactionStatus == 'T' && responses.pendingCycles() > 0);
                translator.send(backend, frame, type, this::onExecuted);
            }
            default -> {
                if (type == FrontendType.COPY_DONE || type == FrontendType.COPY_FAIL) {
                    responses.copyEndSent();
                }
                backend.write(frame);
            }
        }
    }

    /**
     * Which statements the client did not prepare by name may run by their pgroute name now (see
     * {@link StatementTranslator.Reuse}): reads only within a replica attempt, which can run the request again should
     * PostgreSQL refuse the prepared statement (0A000, a table it reads changed shape); none in a failed transaction.
     */
    private StatementTranslator.Reuse reuse() {
        if (transactionStatus == 'E') {
            return StatementTranslator.Reuse.NONE;
        }
        return attempt != null && attempt.holding() && !attempt.retrying() ? StatementTranslator.Reuse.ALL
                : StatementTranslator.Reuse.WITHOUT_ROWS;
    }

    /** Why the cycle being sent now goes where it goes, for {@code SHOW ROUTES}. */
    private String cycleReason() {
        return transactionStatus != 'I' ? "transaction" : pins.pinned()
                ? "pinned: " + pins.reason() : !routing.transactionPooling() ? "session mode" : placement.reason();
    }

    private static boolean isCopyMessage(FrontendType type) {
        return type == FrontendType.COPY_DATA || type == FrontendType.COPY_DONE || type == FrontendType.COPY_FAIL;
    }

    private void onExecuted(String sql) {
        StatementInfo statement = routing.classify(sql);
        cycles.statement(sql, statement);
        if (dropsEveryStatement(statement)) {
            deallocations.sent(translator.statements(), backend.prepared());
        }
        placement.onStatement(statement, sql);
        if (writes != null) {
            writes.onStatement(statement);
        }
        ddlSinceIdle |= !statement.readOnly() && io.pgroute.proxy.cache.WriteReach.mentionsDdl(statement);
        boolean wasPinned = pins.pinned();
        settings.onStatement(statement);  // pins the session for what it may leave behind (SessionPins)
        if (!startup.isEmpty() && resetsStartup(statement)) {
            startupReset = true;
        }
        if (routing.isPrimary(backendPool)) {
            sequences.ran(statement, sql);
        }
        if (pins.pinned() && !wasPinned) {
            try (SessionMdc.Scope ignored = mdc()) {
                LOGGER.info("session pinned session={} backend={} reason={}", id(), backend.label(), pins.reason());
            }
            host.onPinned(this);
        }
    }

    private void lease(BackendPool pool) {
        BackendConnection ready = pool.leaseNow(effectiveSettings());
        if (ready != null) {
            // the common case: an idle connection, no wait, so the client's reads need not stop
            onLeasedInPump(pool, ready);
            return;
        }
        leasing = true;
        updateClientReads();
        Future<BackendConnection> leased = headUnitOnlyPrepares() ? pool.leaseForPrepare() : pool.lease();
        leaseInFlight = leased;
        leased.addListener(done -> guarded(() -> {
            leasing = false;
            leaseInFlight = null;
            if (cancelWhileLeasing) {
                cancelWhileLeasing = false;
                if (done.isSuccess()) {
                    pool.release(leased.getNow(), Release.KEEP);
                }
                // the unit was complete when the cancel came and nothing has taken it since
                answerHeadUnit(ErrorResponse.error(SqlState.QUERY_CANCELED, "canceling statement due to user request"));
                return;
            }
            if (!done.isSuccess()) {
                onLeaseFailed(pool, done.cause());
                return;
            }
            onLeased(pool, leased.getNow());
        }).run());
    }

    /**
     * Whether the request unit at the head has arrived up to its Sync or Flush, or holds a message relayed in pieces
     * (which goes on as it arrives, never gathered), or is too big to wait for its end.
     */
    private boolean headUnitArrived() {
        for (PgFrame each : waiting) {
            if (each.isPiece() || UnitRoute.endsUnit(each)) {
                return true;
            }
        }
        return UnitRoute.goesOnBeforeItsEnd(waiting);  // not waited for when too big to hold (COMPAT E15)
    }

    /**
     * Whether the request unit at the head only prepares: Parse, Describe of a statement, Close, ending with Sync,
     * outside a transaction, in transaction pooling. Such a unit may take the pool's reserve connection
     * ({@link BackendPool#leaseForPrepare}).
     */
    private boolean headUnitOnlyPrepares() {
        if (transactionStatus != 'I' || inBatch || !routing.transactionPooling()) {
            return false;
        }
        boolean parses = false;
        for (PgFrame each : waiting) {
            FrontendType type = FrontendType.of(each.type());
            if (type == FrontendType.SYNC) {
                return parses;
            }
            if (each.isPiece() || !(type == FrontendType.PARSE || type == FrontendType.CLOSE
                    || type == FrontendType.DESCRIBE && each.body().getByte(each.body().readerIndex()) == 'S')) {
                return false;
            }
            parses |= type == FrontendType.PARSE;
        }
        return false;
    }

    /** How many queued messages the request unit at the head spans up to its Query, Sync or FunctionCall; 0 if none. */
    private int headUnitLength() {
        int frames = 0;
        for (PgFrame each : waiting) {
            frames++;
            FrontendType type = FrontendType.of(each.type());
            if (type == FrontendType.QUERY || type == FrontendType.SYNC || type == FrontendType.FUNCTION_CALL) {
                return frames;
            }
        }
        return 0;
    }

    /**
     * Answers the complete request unit at the head of the queue with {@code error} without running it, as
     * PostgreSQL answers a request that fails: the error, then ReadyForQuery (COMPAT E4). A unit ended by a Flush
     * gets the error at once and its Sync, when it comes, the ReadyForQuery; what comes before that Sync is dropped.
     * False, and nothing done, when the unit has not ended yet (no Query, Sync, FunctionCall or Flush).
     */
    private boolean answerHeadUnit(ErrorResponse error) {
        if (closed) {
            return false;
        }
        int frames = headUnitLength();
        boolean flushed = frames <= 0;
        if (flushed) {
            frames = flushedUnitLength();
            if (frames <= 0) {
                return false;
            }
        }
        for (int i = 0; i < frames; i++) {
            waiting.pollFirst().release();
        }
        earlyUnit = false;  // a unit the cache let go on before its end: nothing of it was sent
        if (deferredBegin != null) {
            deferredBegin = null;  // nothing reached a server: the transaction pgroute answered BEGIN for never began
            transactionStatus = 'I';
        }
        if (cache != null) {
            cache.discardFill();  // a lookup that missed expected this unit's answer
        }
        recorder.error(error.sqlState());
        if (flushed) {
            // the client waits for an answer after its Flush: the error now, and its Sync gets the ReadyForQuery
            // once everything before it is dropped, as PostgreSQL skips to the Sync after an error
            out.write(error);
            unflushed = true;
            skippingToSync = true;
            skipToSync();
        } else {
            answerHere(error);
        }
        updateClientReads();
        pumpAndFlush();
        return true;
    }

    /** The frames up to and including a Flush at the head of the queue that comes before any end of a unit; else 0. */
    private int flushedUnitLength() {
        int frames = 0;
        for (PgFrame each : waiting) {
            frames++;
            FrontendType type = FrontendType.of(each.type());
            if (type == FrontendType.FLUSH) {
                return frames;
            }
            if (type == FrontendType.QUERY || type == FrontendType.SYNC || type == FrontendType.FUNCTION_CALL) {
                return 0;
            }
        }
        return 0;
    }

    /**
     * After an error pgroute answered a Flush-ended request with: drops what the client sends up to its Sync, and
     * answers that Sync with ReadyForQuery.
     */
    private void skipToSync() {
        while (skippingToSync && !waiting.isEmpty()) {
            PgFrame next = waiting.pollFirst();
            boolean sync = next.is(FrontendType.SYNC);
            next.release();
            if (sync) {
                skippingToSync = false;
                out.write(ReadyForQuery.of(transactionStatus));
                unflushed = true;
            }
        }
    }

    private void onLeased(BackendPool pool, BackendConnection connection) {
        if (closed) {
            pool.release(connection, Release.KEEP);
            return;
        }
        attach(pool, connection);
        leasedForHead = connection;
        pumpAndFlush();
    }

    /**
     * {@link #onLeased} for a connection leased at once, inside {@link #pump}: whoever called that flushes (the
     * client's read-complete, or {@link #pumpAndFlush}), so the rest of the client's burst (a Describe, Execute and
     * Sync after the Parse and Bind the lease was made for) goes to the server in the same send.
     */
    private void onLeasedInPump(BackendPool pool, BackendConnection connection) {
        attach(pool, connection);
        leasedForHead = connection;
        pump();
    }

    private void attach(BackendPool pool, BackendConnection connection) {
        backend = connection;
        backendPool = pool;
        connection.attach(this);
        // backpressure follows this pairing: each side reads only while the other can take writes
        connection.setAutoRead(client.isWritable());
        updateClientReads();
        resyncPending = false;
        String sync = effectiveSettings().syncSql(connection.applied());
        if (sync != null) {
            recorder.settingsReplayed();
        }
        if (routing.isPrimary(pool)) {
            sequences.attached(connection, discardSequences);
        }
        if (discardSequences) {
            discardSequences = false;
            sync = sync == null ? SequenceState.DISCARD : sync + "\n;" + SequenceState.DISCARD;
        }
        if (sync != null) {
            replay.sent();  // the client's request waits for its answer (see SettingsReplay)
            responses.add(ResponseQueue.Entry.injected(ResponseQueue.Kind.QUERY));
            connection.unnamedStatement(null);  // a simple Query drops the unnamed statement
            connection.write(new Query(sync));
            connection.applied(effectiveSettings());
        }
    }

    /**
     * The settings the client's server connection must hold: its own SETs over its {@link #startup} parameters; made
     * again only when the SETs changed (it is needed at every lease and transaction end).
     */
    private SessionSettings effectiveSettings() {
        SessionSettings desired = settings.desired();
        if (startup.isEmpty()) {
            return desired;
        }
        if (effective == null || effectiveAt != desired.changes()) {
            effective = desired.over(startup);
            effectiveAt = desired.changes();
        }
        return effective;
    }

    /**
     * Sets the held connection to the client's settings again (after one of its statements reset a startup
     * parameter there) before the next request, which waits for it as behind a lease's replay. Returns true when it
     * sent something.
     */
    private boolean resync() {
        resyncPending = false;
        boolean inTransaction = transactionStatus != 'I';
        // in a transaction only the startup parameters go back: the client's other SETs may be reset there too
        // (RESET ALL), and what the transaction leaves is known once it ends; SETs in it roll back with it
        String sync = inTransaction ? startup.syncSql(new SessionSettings())
                : effectiveSettings().syncSql(backend.applied());
        if (sync == null) {
            return false;
        }
        recorder.settingsReplayed();
        replay.sent();
        responses.add(ResponseQueue.Entry.injected(ResponseQueue.Kind.QUERY));
        backend.unnamedStatement(null);
        backend.write(new Query(sync));
        if (inTransaction) {
            startupReset = false;  // the server holds the client's startup values again
        } else {
            backend.applied(effectiveSettings());
        }
        backend.flush();
        return true;
    }

    /** Whether {@code statement} (or one of its parts) takes one of the {@link #startup} parameters back to default. */
    private boolean resetsStartup(StatementInfo statement) {
        if (statement.multiStatement()) {
            for (StatementInfo each : statement.parts()) {
                if (resetsStartup(each)) {
                    return true;
                }
            }
            return false;
        }
        if (statement.kind() == StatementKind.DISCARD) {
            return statement.target().filter("all"::equalsIgnoreCase).isPresent();
        }
        io.pgroute.proxy.sql.SettingChange change = statement.setting().orElse(null);  // no lambda: every statement
        return change != null && change.value() == null && !change.local() && (change.name().equalsIgnoreCase("all")
                || startup.get(change.name().toLowerCase(java.util.Locale.ROOT)) != null);
    }

    private void onLeaseFailed(BackendPool pool, Throwable cause) {
        if (!routing.isPrimary(pool)) {
            try (SessionMdc.Scope ignored = mdc()) {
                LOGGER.info("replica {} unavailable for session={} ({}): reading from the primary",
                        pool.target().node(), id(), cause.toString());
            }
            updateClientReads();
            placement.forcePrimaryOnce();
            pumpAndFlush();
            return;
        }
        try (SessionMdc.Scope ignored = mdc()) {
            LOGGER.warn("no backend connection for session={}: {}", id(), cause.toString());
        }
        if (!answerHeadUnit(ErrorResponder.error(cause))) {  // an error for this request; the client stays
            fatal(ErrorResponder.fatal(cause));
        }
    }

    // ---- backend side events ----

    /**
     * PostgreSQL's refusal of a prepared statement whose result type changed: raised in RevalidateCachedQuery (the
     * routine field, whatever the server's language), or its English message.
     */
    private static boolean isStalePlan(ErrorResponse error) {
        return "RevalidateCachedQuery".equals(error.fields().get('R'))
                || "cached plan must not change result type".equals(error.message());
    }

    @Override
    public void onBackendFrame(BackendConnection connection, PgFrame frame) {
        if (closed || connection != backend) {
            frame.release();
            return;
        }
        boolean injected = responses.headIsInjected();
        BackendType type = BackendType.of(frame.type());
        ErrorResponse relocated = null;  // an error about a Query's text as pgroute prepared it, placed in the client's
        if (completesStatement(type) && responses.headIsClients()) {
            settings.onStatementDone();  // what ran before an error in the same cycle counts (COMPAT G1)
        }
        ParameterStatus reworded = null;  // a ParameterStatus told the client with its own value instead
        boolean swallowed = false;  // or not told at all
        if (type == BackendType.PARAMETER_STATUS) {
            ParameterStatus status = frame.decode(ParameterStatus::decode);
            connection.onParameterStatus(status.name(), status.value());
            if (!injected) {
                String name = status.name().toLowerCase(java.util.Locale.ROOT);
                String value = status.value();
                if (startupReset && startupReported.containsKey(name)
                        && value.equals(connection.serverParameter(status.name()))) {
                    // the client's RESET: PostgreSQL goes back to what the client connected with, and says so if
                    // that changes what the client was told
                    value = startupReported.get(name);
                    reworded = new ParameterStatus(status.name(), value);
                    swallowed = value.equals(told.get(name));
                }
                tell(name, value);
            }
            if ("client_encoding".equals(status.name())) {
                // how the client's next texts are read (SJIS, BIG5, …): in what the client is told is in force
                routing.clientEncoding(reworded != null ? reworded.value() : status.value());
            }
        } else if (injected && stateProbe.inFlight()) {
            // the head: it was sent with nothing else in flight on the connection (see sendStateProbe)
            if (type == BackendType.DATA_ROW) {
                stateProbe.onDataRow(frame.decode(io.pgroute.protocol.backend.DataRow::decode));
            } else if (type == BackendType.ERROR_RESPONSE) {
                stateProbe.onError();
            }
        } else if (type == BackendType.ERROR_RESPONSE && injected && replay.inFlight()) {
            replay.onError(frame.decode(ErrorResponse::decode));
        } else if (type == BackendType.ERROR_RESPONSE && !injected) {
            settings.onError();
            ErrorResponse error = frame.decode(ErrorResponse::decode);
            relocated = relocated(error, responses.headQuery());
            String bound = responses.headBoundStatement();
            boolean planChanged = bound != null && SqlState.FEATURE_NOT_SUPPORTED.equals(error.sqlState());
            if (planChanged) {
                // "cached plan must not change result type": every connection prepares it again (COMPAT V6)
                routing.planChanged(bound);
            }
            if (attempt != null) {
                if (planChanged && !rerunForPlan && isStalePlan(error)
                        && (translator.unnamedBoundByName(bound) || translator.queryBoundByName(bound))) {
                    attempt.onPlanChanged();  // the client's unnamed statement or Query never fails so: run it again
                } else {
                    attempt.onError(error);
                }
            }
            if (attempt == null || !attempt.retrying()) {
                recorder.error(error.sqlState());
            }
            backendSentFatal |= error.isFatal() && (attempt == null || !attempt.retrying());
        } else if (!injected && attempt != null && attempt.holding() && !attempt.retrying() && startsRows(type)) {
            attempt.release(out);
        } else if (type == BackendType.COMMAND_COMPLETE && !injected && endsTransaction(frame)) {
            String tag = frame.decode(io.pgroute.protocol.backend.CommandComplete::decode).tag();
            settings.onCommandComplete(tag);
            if (writes != null) {
                writes.onCommandComplete(tag);
            }
        } else if (type == BackendType.COMMAND_COMPLETE && !injected && deallocatedAll(frame)) {
            // the server dropped every named statement of the session (DEALLOCATE ALL, DISCARD ALL): pgroute's on
            // that connection, shared by all its clients, and this client's own (COMPAT V8), those prepared before
            // it was sent (V9)
            if (!deallocations.done()) {  // not seen going out (inside a multi-statement Query): forget all now
                connection.prepared().clear();
                translator.statements().clearNamed();
            }
        }
        byte status = type == BackendType.READY_FOR_QUERY ? frame.body().getByte(frame.body().readerIndex()) : 0;
        ResponseQueue.Disposition disposition = responses.onFrame(frame);
        if (type == BackendType.ERROR_RESPONSE) {
            syncSkippedQueries(connection);
        }
        if (type == BackendType.READY_FOR_QUERY && !injected) {
            cycles.answered(routing.isPrimary(backendPool) ? QueryRecorder.Route.PRIMARY
                    : QueryRecorder.Route.REPLICA);
        }
        if (type == BackendType.READY_FOR_QUERY && !injected && cache != null
                && holdForInvalidation(connection, frame, status, disposition)) {
            return;
        }
        if (disposition == ResponseQueue.Disposition.RELAY && reworded != null) {
            frame.release();
            if (!swallowed) {
                toClient(reworded);
            }
        } else if (disposition == ResponseQueue.Disposition.RELAY && relocated == null) {
            toClient(frame);
            if (type == BackendType.DATA_ROW && out.gatheredBytes() >= FLUSH_ROWS_ABOVE) {
                out.flush();  // the rest of this read follows at its read-complete
            }
        } else {
            frame.release();
            if (disposition == ResponseQueue.Disposition.RELAY) {
                toClient(relocated);
            }
        }
        responses.drainAfterFrame();  // pgroute's own answers after this frame follow it
        if (type == BackendType.READY_FOR_QUERY) {
            if (injected && stateProbe.inFlight()) {
                onStateProbeAnswered(connection);
            } else if (injected && replay.inFlight()) {
                onReplayed(connection);
            } else if (injected) {
                pumpAndFlush();
            } else {
                finishAttempt();
                onReadyForQuery(connection, status);
            }
        }
    }

    /**
     * After an error in front of a simple Query or FunctionCall in the same batch (the deferred BEGIN in front of a
     * Query sent as it came): the server skipped it looking for a Sync, which the client will not send for a Query.
     * pgroute sends one for each; its ReadyForQuery ends the Query, after the error.
     */
    private void syncSkippedQueries(BackendConnection connection) {
        int skipped = responses.takeSkippedQueries();
        for (int i = 0; i < skipped; i++) {
            responses.add(ResponseQueue.Entry.relay(ResponseQueue.Kind.SYNC));
            connection.write(io.pgroute.protocol.frontend.Sync.INSTANCE);
        }
        if (skipped > 0) {
            connection.flush();
        }
    }

    /**
     * {@code error} with its position in the client's text, when it is about the text of a simple Query that pgroute
     * ran as a prepared statement ({@code query}); null when nothing needs moving.
     */
    private static ErrorResponse relocated(ErrorResponse error, ParameterizedQuery query) {
        String position = query == null ? null : error.fields().get(ErrorField.POSITION);
        if (position == null) {
            return null;
        }
        try {
            return error.withField(ErrorField.POSITION,
                    Integer.toString(query.clientPosition(Integer.parseInt(position))));
        } catch (NumberFormatException notANumber) {
            return null;
        }
    }

    /**
     * The client's ReadyForQuery: ends a fill, and ends the transaction's writes for the cache. Writes that
     * committed without having been begun (a commit pgroute did not foresee) are begun now, and the ReadyForQuery
     * is held back until Redis acknowledged that.
     */
    private boolean holdForInvalidation(BackendConnection connection, PgFrame frame, byte status,
                                        ResponseQueue.Disposition disposition) {
        long now = System.nanoTime();
        cache.observed(now);
        if (cache.filling()) {
            cache.finishFill(status, connection.label(), routing.replayedIn(cache.fillState(), backendPool));
        }
        writes.onReadyForQuery(status, responses.pendingCycles() == 0);
        if (status != 'I') {
            return false;
        }
        ResultCache.Invalidation missed = writes.onIdle(now);
        if (missed.isNone()) {
            CompletableFuture<Void> visible = writes.takeVisible();
            if (visible == null || disposition != ResponseQueue.Disposition.RELAY) {
                return false;
            }
            heldReady = frame;
            visible.whenComplete((ignored, failure) -> onLoop(client.eventLoop(),
                    () -> releaseHeld(connection, status)));
            return true;
        }
        if (disposition != ResponseQueue.Disposition.RELAY) {
            writes.begin(missed);  // nobody to hold back: invalidate without waiting
            writes.begun(null);
            writes.onIdle(now);
            return false;
        }
        heldReady = frame;
        writes.begin(missed).whenComplete((begun, failure) -> onLoop(client.eventLoop(), () -> {
            writes.begun(begun);
            writes.onIdle(now);
            CompletableFuture<Void> visible = writes.takeVisible();
            if (visible == null) {
                releaseHeld(connection, status);
            } else {
                visible.whenComplete((ignored, later) -> onLoop(client.eventLoop(),
                        () -> releaseHeld(connection, status)));
            }
        }));
        return true;
    }

    /** The ReadyForQuery held back until the transaction's invalidation was done goes to the client now. */
    private void releaseHeld(BackendConnection connection, byte status) {
        PgFrame held = heldReady;
        heldReady = null;
        if (held == null) {
            return;
        }
        if (closed || connection != backend) {
            held.release();
            return;
        }
        toClient(held);
        responses.drainAfterFrame();
        unflushed = true;
        finishAttempt();
        onReadyForQuery(connection, status);
    }

    private static boolean startsRows(BackendType type) {
        return type == BackendType.DATA_ROW || type == BackendType.COPY_OUT_RESPONSE
                || type == BackendType.COPY_IN_RESPONSE || type == BackendType.COPY_DATA;
    }

    /** To the client, unless a replica attempt holds answers back (or drops them: it is being re-run). */
    private void toClient(Object message) {
        if (cache != null) {
            cache.capture(message);
        }
        if (attempt == null) {
            out.write(message);
        } else if (attempt.retrying()) {
            io.netty.util.ReferenceCountUtil.release(message);
        } else if (attempt.holding()) {
            attempt.hold(message);
        } else {
            out.write(message);
        }
    }

    /** The replica attempt's cycle ended: give the client its answers, or queue the request again for the primary. */
    private void finishAttempt() {
        if (attempt == null || responses.pendingCycles() > 0) {
            return;
        }
        ReplicaAttempt done = attempt;
        attempt = null;
        if (!done.retrying()) {
            rerunForPlan = false;
            done.release(out);
            done.discard();
            return;
        }
        rerunForPlan = done.planChanged();
        if (done.planChanged()) {
            if (cache != null) {
                cache.discardFill();
            }
            done.requeue(waiting);  // as it came: its statement is prepared again wherever it runs
            return;
        }
        if (done.refusedSerializable()) {
            // not the statement: the session's default isolation, which no standby runs (COMPAT R2)
            routing.replicaRefusedSerializable();
            if (cache != null) {
                cache.discardFill();
            }
            try (SessionMdc.Scope ignored = mdc()) {
                LOGGER.info("replica refused a read as serializable (the role's or the database's default "
                        + "transaction isolation); reads go to the primary session={}", id());
            }
            done.requeue(waiting);
            placement.forcePrimaryOnce();
            return;
        }
        routing.markWrite(done.sql());
        if (cache != null) {
            cache.discardFill();
            writes.onUnknownWrite();  // whatever the primary runs now may write
        }
        try (SessionMdc.Scope ignored = mdc()) {
            LOGGER.info("replica refused a statement classified as a read; re-running it on the primary session={} "
                    + "backend={}", id(), backend == null ? "-" : backend.label());
        }
        done.requeue(waiting);
        placement.forcePrimaryOnce();
    }

    /**
     * SQL {@code DEALLOCATE ALL} or {@code DISCARD ALL} alone in its text: it drops the session's named statements
     * where it stands in the stream, so pgroute forgets them when it sends it ({@link Deallocations}).
     */
    private static boolean dropsEveryStatement(StatementInfo statement) {
        return !statement.multiStatement() && (statement.kind() == StatementKind.DEALLOCATE
                || statement.kind() == StatementKind.DISCARD)
                && statement.target().filter("all"::equalsIgnoreCase).isPresent();
    }

    /** A CommandComplete of SQL {@code DEALLOCATE ALL} or {@code DISCARD ALL}, compared in place (no tag decoded). */
    private static boolean deallocatedAll(PgFrame frame) {
        return hasTag(frame, DEALLOCATE_ALL_TAG) || hasTag(frame, DISCARD_ALL_TAG);
    }

    private static boolean hasTag(PgFrame frame, byte[] tag) {
        if (frame.wireLength() != 5 + tag.length) {
            return false;  // nearly every tag: no slice made, no buffer's length asked through a wrapper (1.8 %)
        }
        io.netty.buffer.ByteBuf body = frame.body();
        int at = body.readerIndex();
        for (int i = 0; i < tag.length; i++) {
            if (body.getByte(at + i) != tag[i]) {
                return false;
            }
        }
        return true;
    }

    /** Whether a message of {@code type} says one of the client's statements ran to its end. */
    private static boolean completesStatement(BackendType type) {
        return type == BackendType.COMMAND_COMPLETE || type == BackendType.EMPTY_QUERY_RESPONSE
                || type == BackendType.PORTAL_SUSPENDED;
    }

    private static boolean endsTransaction(PgFrame frame) {
        byte first = frame.body().getByte(frame.body().readerIndex());
        return first == 'C' || first == 'R';
    }

    private void onReadyForQuery(BackendConnection connection, byte status) {
        earlyUnit = false;  // its Sync was sent: whatever it wrote was begun before
        beginUnconfirmed = false;  // a deferred BEGIN in front of the request ran, or the client saw its error
        deallocations.cycleAnswered(translator.statements());
        transactionStatus = status;
        if (!routing.isPrimary(backendPool)) {
            placement.onReplicaAnswer(backendPool.target(), System.nanoTime());
        }
        boolean wasPinned = pins.pinned();
        boolean discardedAll = settings.onReadyForQuery(transactionStatus);
        if (wasPinned && !pins.pinned()) {
            // what it was pinned for is gone (DISCARD ALL, UNLISTEN *…): its connection goes back to the pool below
            try (SessionMdc.Scope ignored = mdc()) {
                LOGGER.info("session unpinned session={} backend={}", id(), connection.label());
            }
        }
        if (discardedAll) {
            // its statements were forgotten when it was sent, or at its CommandComplete: the ones defined after it
            // in the stream (Npgsql sends DISCARD ALL in front of its next command) stay (COMPAT V8)
            connection.onDiscardAll();
        }
        if (startupReset && transactionStatus == 'T') {
            resyncPending = true;  // before the transaction's next statement, which must see the client's values
        }
        if (transactionStatus == 'I') {
            translator.onTransactionEnd();
            connection.applied(effectiveSettings());
            if (startupReset) {
                startupReset = false;
                connection.applied(connection.applied().withUnknown(startup.values().keySet()));
                resyncPending = true;
            }
            placement.onIdle(routing.isPrimary(backendPool));
            if (ddlSinceIdle) {
                // the reload asked for when the DDL was sent may have read the catalog before it committed: the
                // tables it created would stay unknown (not cached, read as any table) until the next refresh
                ddlSinceIdle = false;
                routing.reloadRelations();
                if (writes != null) {
                    writes.reloadCatalog();
                }
            }
        }
        if (transactionStatus == 'I' && responses.isEmpty() && !inBatch && routing.transactionPooling()
                && pins.stateUncertain()) {
            sendStateProbe(connection);
        }
        if (closeIfDrained()) {
            return;
        }
        maybeRelease();
        pumpAndFlush();
    }

    /**
     * Asks {@code connection}, idle with nothing in flight, what is left of the state the session is pinned for
     * ({@link StateProbe}). The client's next request goes out behind the question; the connection is kept until it
     * is answered.
     */
    private void sendStateProbe(BackendConnection connection) {
        responses.add(ResponseQueue.Entry.injected(ResponseQueue.Kind.QUERY));
        connection.unnamedStatement(null);  // a simple Query drops the unnamed statement
        connection.write(stateProbe.start(pins.question()));
        connection.flush();
    }

    /** The {@link StateProbe} is answered: a kind found empty ends its pins sent before the question. */
    private void onStateProbeAnswered(BackendConnection connection) {
        SessionPins.Freeing none = stateProbe.finish();
        if (none != null) {
            boolean wasPinned = pins.pinned();
            pins.free(none);
            if (wasPinned && !pins.pinned()) {
                try (SessionMdc.Scope ignored = mdc()) {
                    LOGGER.info("session unpinned session={} backend={}: the server holds none of {}", id(),
                            connection.label(), none.kinds());
                }
            }
        }
        if (closeIfDrained()) {
            return;
        }
        maybeRelease();
        pumpAndFlush();
    }

    /**
     * After a ReadyForQuery with nothing more to send or answer it is the client's turn. In a transaction it has
     * {@code pool.idle_transaction_timeout} to send its next message (PostgreSQL's
     * idle_in_transaction_session_timeout, kept by pgroute so that the server connection held is freed). Outside one,
     * with transaction pooling, the idle_session_timeout it SET: its servers hold that only while leased (the pool
     * resets it, or they would close pooled connections), so pgroute times the client's idleness (COMPAT T5). With
     * session pooling the server holding the client's connection times it.
     */
    private void armIdle() {
        if (closed || !waiting.isEmpty() || !responses.isEmpty() || idleTimer != null) {
            return;
        }
        boolean inTransaction = transactionStatus != 'I';
        long nanos = inTransaction ? host.idleTransactionTimeout().toNanos()
                : routing.transactionPooling() ? idleSessionTimeoutNanos() : 0;
        if (nanos <= 0) {
            return;
        }
        idleTimer = client.eventLoop().schedule(inTransaction ? this::idleInTransactionExpired
                : this::idleSessionExpired, nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
    }

    /** The client's idle_session_timeout in nanoseconds, 0 if none; read again only when its text changes. */
    private long idleSessionTimeoutNanos() {
        SessionSettings desired = settings.desired();
        String value = desired.isEmpty() ? null : desired.get("idle_session_timeout");
        if (!java.util.Objects.equals(value, idleSessionValue)) {
            idleSessionValue = value;
            idleSessionNanos = GucTime.nanos(value);
        }
        return idleSessionNanos;
    }

    private void disarmIdle() {
        if (idleTimer != null) {
            idleTimer.cancel(false);
            idleTimer = null;
        }
    }

    private void idleInTransactionExpired() {
        idleTimer = null;
        if (closed || transactionStatus == 'I' || !waiting.isEmpty() || !responses.isEmpty()) {
            return;
        }
        try (SessionMdc.Scope ignored = mdc()) {
            LOGGER.info("idle in transaction longer than pool.idle_transaction_timeout session={} backend={}: "
                    + "closing the client, its transaction is rolled back", id(), backend == null ? "-"
                    : backend.label());
        }
        recorder.error(SqlState.IDLE_IN_TRANSACTION_TIMEOUT);
        fatal(ErrorResponse.fatal(SqlState.IDLE_IN_TRANSACTION_TIMEOUT,
                "terminating connection due to idle-in-transaction timeout"));
    }

    private void idleSessionExpired() {
        idleTimer = null;
        if (closed || transactionStatus != 'I' || !waiting.isEmpty() || !responses.isEmpty()) {
            return;
        }
        try (SessionMdc.Scope ignored = mdc()) {
            LOGGER.info("idle longer than its idle_session_timeout ({}) session={}: closing the client",
                    idleSessionValue, id());
        }
        recorder.error(SqlState.IDLE_SESSION_TIMEOUT);
        fatal(ErrorResponse.fatal(SqlState.IDLE_SESSION_TIMEOUT, "terminating connection due to idle-session timeout"));
    }

    /** Remembers that the client was told {@code value} of {@code name} (lower case); copies a shared map first. */
    private void tell(String name, String value) {
        if (value.equals(told.get(name))) {
            return;
        }
        if (!toldOwn) {
            told = new java.util.HashMap<>(told);
            toldOwn = true;
        }
        told.put(name, value);
    }

    /** The session's fields for log lines (JSON logs show them as fields). */
    private SessionMdc.Scope mdc() {
        return SessionMdc.with(info.id(), info.user(), info.database(), backend == null ? null
                : backend.target().node());
    }

    /** Graceful shutdown: closes the session once it owes the client nothing. True if it did. */
    private boolean closeIfDrained() {
        if (!draining || !isIdle()) {
            return false;
        }
        fatal(ErrorResponse.fatal(SqlState.ADMIN_SHUTDOWN, "terminating connection due to administrator command"));
        return true;
    }

    /** In transaction mode, gives the connection back once nothing is in flight or queued and no transaction. */
    private void maybeRelease() {
        if (backend == null || pins.pinned() || !routing.transactionPooling() || !responses.isEmpty()
                || inBatch || transactionStatus != 'I' || !waiting.isEmpty()) {
            return;
        }
        BackendConnection connection = backend;
        backend = null;
        out.flush();  // the read-complete event of this burst will no longer reach this session
        giveBack(connection, Release.KEEP);
    }

    @Override
    public void emit(BackendMessage message) {
        toClient(message);
        if (message instanceof ReadyForQuery) {
            unflushed = true;
        } else {
            unflushedInRequest = true;
        }
    }

    @Override
    public void syncIgnored(boolean nextAlreadySent) {
        if (nextAlreadySent) {
            settings.dropNewestCycle();  // that Sync's cycle is the ignored one's continuation
            cycles.dropNewest();
        } else {
            ignoredSyncs++;
        }
    }

    @Override
    public void parsed(String preparedName) {
        routing.parsed(preparedName);
    }

    @Override
    public void parseFailed(String preparedName, String clientName) {
        if (backend != null) {
            backend.prepared().remove(preparedName);
        }
        checkFailed(preparedName, clientName);
    }

    @Override
    public void closeSkipped(String preparedName) {
        if (backend != null) {
            // the server has it, in a shape pgroute no longer vouches for: the next use closes and prepares it again
            backend.prepared().restore(java.util.Map.of(preparedName, STALE_GENERATION));
        }
    }

    @Override
    public void checkFailed(String preparedName, String clientName) {
        PreparedStatements.Statement defined = clientName == null ? null : translator.statements().get(clientName);
        if (defined != null && defined.backendName().equals(preparedName)) {
            translator.statements().remove(clientName);  // PostgreSQL keeps no statement from a failed Parse
        }
    }

    @Override
    public void onBackendReadComplete(BackendConnection connection) {
        unflushed = false;
        unflushedInRequest = false;
        out.flush();
    }

    @Override
    public void onBackendWritabilityChanged(BackendConnection connection, boolean writable) {
        updateClientReads();
    }

    @Override
    public void onBackendClosed(BackendConnection connection, Throwable cause) {
        if (closed || connection != backend) {
            return;
        }
        if (attempt != null && attempt.holding() && !attempt.onPrimary()) {
            recoverFromLostReplica(connection, cause);
            return;
        }
        if (replay.inFlight()) {
            onReplayLost(connection, cause);
            return;
        }
        if (responses.isEmpty() && !inBatch && transactionStatus == 'I' && !pins.pinned()
                && !backendSentFatal) {
            responses.clear();
            ignoredSyncs = 0;
            backend = null;  // nothing of the client's was running on it: the next request leases another
            giveBack(connection, Release.CLOSE);
            return;
        }
        try (SessionMdc.Scope ignored = mdc()) {
            LOGGER.warn("backend closed session={} backend={} cause={}", id(), connection.label(),
                    cause == null ? "closed by server" : cause.toString());
        }
        giveBack(connection, Release.CLOSE);
        backend = null;
        if (backendSentFatal) {
            closeClient(null);
            return;
        }
        closeClient(ErrorResponse.fatal(SqlState.CONNECTION_FAILURE, "server closed the connection unexpectedly")
                .withDetail("The database server " + connection.target().node()
                        + " terminated the connection, probably because of a crash or an administrator command."));
    }

    /** The settings replay on {@code connection} is answered: send the request behind it, or answer it here. */
    private void onReplayed(BackendConnection connection) {
        SettingsReplay.Outcome outcome = replay.finished();
        if (outcome == SettingsReplay.Outcome.DONE
                || outcome == SettingsReplay.Outcome.CANCELLED && !replay.refused() && headUnitLength() == 0) {
            // a cancel that came before the request was complete (a Flush-ended unit) finds nothing running, as it
            // would in PostgreSQL: the request goes on instead of the client being closed
            pumpAndFlush();
            return;
        }
        ErrorResponse answer = outcome == SettingsReplay.Outcome.FAILED
                ? replay.failureAnswer(connection.target().node()) : SettingsReplay.cancelAnswer();
        if (replay.refused()) {
            try (SessionMdc.Scope ignored = mdc()) {
                LOGGER.warn("settings replay refused session={} backend={}: {}; the request is answered with an "
                        + "error", id(), connection.label(), replay.failureAnswer(connection.target().node()));
            }
            backend = null;
            giveBack(connection, Release.CLOSE);  // it holds other settings than pgroute recorded for it
        }
        answerInsteadOfRunning(answer);
    }

    /** The connection died before the settings replay on it was answered: nothing of the client's ran there. */
    private void onReplayLost(BackendConnection connection, Throwable cause) {
        try (SessionMdc.Scope ignored = mdc()) {
            LOGGER.info("connection lost during the settings replay session={} backend={} cause={}", id(),
                    connection.label(), cause == null ? "closed by server" : cause.toString());
        }
        responses.clear();
        backend = null;
        giveBack(connection, Release.CLOSE);
        if (replay.connectionLost()) {
            pumpAndFlush();  // leases another connection from the same pool: the head unit was leased for it
            return;
        }
        answerInsteadOfRunning(SettingsReplay.lostAnswer(connection.target().node()));
    }

    /**
     * Answers the request unit that waited behind a settings replay with {@code answer}, without running it; a
     * unit with neither its Sync nor a Flush yet cannot be answered that way and the client is closed with it.
     */
    private void answerInsteadOfRunning(ErrorResponse answer) {
        leasedForHead = null;
        if (!answerHeadUnit(answer)) {
            fatal(ErrorResponse.fatal(answer.sqlState(), answer.message()).withDetail(answer.detail()));
            return;
        }
        maybeRelease();  // a connection kept after a cancelled replay: nothing of the client's is on it
        pumpAndFlush();
    }

    /** A replica connection died before its read produced a row: run the read on the primary instead. */
    private void recoverFromLostReplica(BackendConnection connection, Throwable cause) {
        try (SessionMdc.Scope ignored = mdc()) {
            LOGGER.info("replica connection lost before any row session={} backend={} cause={}: re-running on the "
                    + "primary", id(), connection.label(), cause == null ? "closed by server" : cause.toString());
        }
        attempt.onConnectionLost();
        cycles.clear();  // the unit is sent again
        deallocations.clear();
        if (cache != null) {
            cache.discardFill();
        }
        responses.clear();
        ignoredSyncs = 0;
        settings.onError();
        settings.onReadyForQuery((byte) 'I');
        inBatch = false;
        backend = null;
        giveBack(connection, Release.CLOSE);
        ReplicaAttempt done = attempt;
        attempt = null;
        done.requeue(waiting);
        placement.forcePrimaryOnce();
        pumpAndFlush();
    }

    // ---- transitions ----

    private void fatal(ErrorResponse error) {
        releaseOnClose();
        closeClient(error);
    }

    private void close() {
        releaseOnClose();
        closeClient(null);
    }

    private void releaseOnClose() {
        if (backend == null) {
            return;
        }
        Release how;
        if (!isIdle() || backendSentFatal) {
            how = Release.CLOSE;
            if (!responses.isEmpty() && !backendSentFatal) {
                // the client left while its request runs: the server would notice only once the statement is done
                // and writes its answer, and a long one would go on for nothing
                host.cancel(client.eventLoop(), backend);
            }
        } else {
            how = pins.loadedLibrary() ? Release.CLOSE : pins.pinned() ? Release.RESET : Release.KEEP;
        }
        giveBack(backend, how);
        backend = null;
    }

    /** Returns a connection to its pool, undoing the backpressure this session put on either side. */
    private void giveBack(BackendConnection connection, Release how) {
        if (how == Release.KEEP && routing.isPrimary(backendPool)) {
            sequences.released(connection);
        }
        connection.setAutoRead(true);
        if (!closed) {
            updateClientReads();
        }
        backendPool.release(connection, how);
    }

    private void closeClient(ErrorResponse error) {
        if (closed) {
            return;
        }
        closed = true;
        disarmIdle();
        if (cache != null) {
            cache.abandon();
            writes.abandon();
        }
        if (heldReady != null) {
            heldReady.release();
            heldReady = null;
        }
        if (attempt != null) {
            attempt.discard();
            attempt = null;
        }
        while (!waiting.isEmpty()) {
            waiting.pollFirst().release();
        }
        if (error != null && client.isActive()) {
            out.writeAndClose(error);
        } else {
            out.writeAndClose(io.netty.buffer.Unpooled.EMPTY_BUFFER);
        }
        host.onSessionClosed(this);
    }
}
