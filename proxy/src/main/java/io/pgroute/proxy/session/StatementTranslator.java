package io.pgroute.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.backend.CloseComplete;
import io.pgroute.protocol.backend.ParseComplete;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Close;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.backend.BackendConnection;
import io.pgroute.proxy.session.ResponseQueue.Entry;
import io.pgroute.proxy.session.ResponseQueue.Kind;
import io.pgroute.proxy.sql.ParameterizedQuery;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.ToIntFunction;

/**
 * Sends a client's request messages to whichever backend connection runs them, with prepared statements made
 * virtual: a client statement name becomes the pgroute name of its SQL and types, prepared on each connection the
 * first time that connection needs it (an injected Parse whose answer the client never sees), and answered locally
 * when the connection already has it. Every message sent gets its {@link ResponseQueue} entry.
 */
final class StatementTranslator {

    private final PreparedStatements statements;
    /**
     * PostgreSQL's error for a Bind of a statement whose result type changed, with the file and routine it names:
     * pgjdbc recognises it by the routine and prepares the statement again (its willHealViaReparse).
     */
    /** The text of the Parse sent in place of a message pgroute refuses (see {@link #failInstead}). */
    static final String REFUSED = "SELECT pgroute_refused_this_message";
    private static final io.pgroute.protocol.backend.ErrorResponse STALE_PLAN = io.pgroute.protocol.backend
            .ErrorResponse.error(io.pgroute.protocol.SqlState.FEATURE_NOT_SUPPORTED,
                    "cached plan must not change result type")
            .withField('F', "plancache.c").withField('R', "RevalidateCachedQuery");

    private final Map<String, String> portalSql = new HashMap<>();
    /** Which statements the messages being sent may run by their pgroute name (see {@link #reuse}). */
    private Reuse reuse = Reuse.NONE;
    /** The pgroute name the client's unnamed statement is bound by, when its Parse was not sent; null otherwise. */
    private String unnamedByName;
    /** Which simple Queries may run as prepared statements (see {@link #prepareQueries}). */
    private boolean prepareQueries;
    /** The pgroute name the client's last simple Query ran as (see {@link #prepareQueries}); null if it ran as sent. */
    private String queryByName;

    /**
     * Which statements the client did not prepare by name may run as a statement pgroute prepared under its name
     * (the client's unnamed statement whose text repeats, a simple Query whose shape repeats): parsed and planned once
     * per server connection instead of at every request. A statement prepared by name fails with 0A000 ("cached plan
     * must not change result type") after a table it reads changes shape, which the client's never would.
     */
    enum Reuse {
        /** None: each goes as it came. */
        NONE,
        /**
         * Those that return no rows (INSERT, UPDATE, DELETE without RETURNING): PostgreSQL's plan cache refuses a
         * prepared statement only when its result type changed, so these run so anywhere, in a transaction too.
         */
        WITHOUT_ROWS,
        /**
         * Reads too: only where that refusal can be hidden by running the request again before any row reached the
         * client (a {@link ReplicaAttempt}, on a replica or for a lone read on the primary).
         */
        ALL
    }
    /** See {@link #transactionMayHaveFailed}. */
    private boolean mayHaveFailed;
    /** Told of each Parse not sent because its statement was prepared already (see {@link #reuse}). */
    private Runnable parseSkipped = () -> { };
    /**
     * Whether the pieces after the first of a message relayed in pieces (a Bind with a big parameter) go to the
     * server: they do when its first piece did, and are dropped when pgroute answered it instead.
     */
    private boolean forwardingPieces;
    private final ResponseQueue responses;
    private final ByteBufAllocator alloc;
    /** The plan generation of a pgroute statement name (see {@code DatabaseRouting.planChanged}). */
    private final ToIntFunction<String> generations;
    private final java.util.function.LongSupplier maxPreparedBytes;

    StatementTranslator(ResponseQueue responses, ByteBufAllocator alloc) {
        this(responses, alloc, () -> null, name -> 0,
                () -> io.pgroute.config.LimitsConfig.DEFAULT_MAX_PREPARED_BYTES);
    }

    /**
     * @param searchPath       the client's search_path (SET or from its startup), or null (see {@link PreparedStatements#backendName})
     * @param generations      the current plan generation of a pgroute statement name
     * @param maxPreparedBytes {@code limits.max_prepared_bytes} now
     */
    StatementTranslator(ResponseQueue responses, ByteBufAllocator alloc,
                        java.util.function.Supplier<String> searchPath, ToIntFunction<String> generations,
                        java.util.function.LongSupplier maxPreparedBytes) {
        this.statements = new PreparedStatements(searchPath, generations);
        this.responses = responses;
        this.alloc = alloc;
        this.generations = generations;
        this.maxPreparedBytes = maxPreparedBytes;
    }

    /** Whether the client may define statement {@code name} with {@code sql} (see {@link #tooManyStatements}). */
    boolean fits(String name, String sql) {
        return statements.fits(name, sql, maxPreparedBytes.getAsLong());
    }

    /** The error for a Parse past {@code limits.max_prepared_bytes} (COMPAT L4); the client goes on. */
    io.pgroute.protocol.backend.ErrorResponse tooManyStatements() {
        long limit = maxPreparedBytes.getAsLong();
        return io.pgroute.protocol.backend.ErrorResponse.error("54000", "prepared statements of this connection "
                        + "would take more than " + limit + " bytes in pgroute (limits.max_prepared_bytes)")
                .withHint("Close (DEALLOCATE) prepared statements the application no longer uses, or raise "
                        + "limits.max_prepared_bytes.");
    }

    PreparedStatements statements() {
        return statements;
    }

    /**
     * Which statements sent next may run by their pgroute name (see {@link Reuse}). An unnamed statement whose text
     * repeats: its Parse is answered here and the server neither parses nor plans it again, as for a named statement
     * (pgbench {@code -M extended}, and drivers' one-shot queries, parse the same text each time).
     */
    void reuse(Reuse allowed) {
        this.reuse = allowed;
    }

    /**
     * Whether simple Queries may run as the prepared statement of their shape ({@code pool.prepare_simple_queries};
     * within what {@link #reuse} allows): a Query whose number literals can be parameters
     * ({@link ParameterizedQuery}), of a shape seen before, goes as Parse (once per connection), Bind, Describe,
     * Execute and Sync, and the client gets what its Query would have got. The server then parses and plans each
     * shape once per connection instead of each text every time (pgbench {@code -M simple}, psql, ORMs that inline
     * values).
     */
    void prepareQueries(boolean allowed) {
        this.prepareQueries = allowed;
    }

    /**
     * Whether the messages sent next may find the transaction failed (its last ReadyForQuery said so, or an earlier
     * request is still unanswered): PostgreSQL then refuses every Parse but a COMMIT's or ROLLBACK's with 25P02, so
     * none is answered here, and a client's name is defined only if the server takes its Parse (COMPAT V4).
     */
    void transactionMayHaveFailed(boolean maybe) {
        this.mayHaveFailed = maybe;
    }

    /** Whether {@code backendName} is the server statement the client's last simple Query ran as. */
    boolean queryBoundByName(String backendName) {
        return backendName != null && backendName.equals(queryByName);
    }

    /** Runs {@code counter} for each Parse not sent because its statement was prepared already (see {@link #reuse}). */
    void onParseSkipped(Runnable counter) {
        this.parseSkipped = counter;
    }

    /** Whether {@code backendName} is the server statement the client's unnamed statement was bound by. */
    boolean unnamedBoundByName(String backendName) {
        return backendName != null && backendName.equals(unnamedByName);
    }

    /**
     * A lone {@code Parse(name) + Sync} at the head of {@code waiting}, of a statement a server already parsed
     * ({@code known}), is answered without any server: the statement is defined for the client (and prepared on a
     * connection when first bound), ParseComplete and ReadyForQuery('I') are queued as answers. Call it only when
     * no connection is held and no transaction is open. Drivers that prepare synchronously (pgbench -M prepared)
     * would otherwise wait for a free connection while holding others in open transactions.
     */
    boolean answerParseLocally(java.util.Deque<PgFrame> waiting, java.util.function.Predicate<String> known) {
        if (waiting.size() < 2) {
            return false;
        }
        java.util.Iterator<PgFrame> each = waiting.iterator();
        PgFrame parseFrame = each.next();
        PgFrame syncFrame = each.next();
        if (!parseFrame.is(FrontendType.PARSE) || !syncFrame.is(FrontendType.SYNC)) {
            return false;
        }
        Parse parse = parseFrame.decode(Parse::decode);
        if (parse.name().isEmpty() || statements.get(parse.name()) != null) {
            return false;  // a name the client holds goes on to parse(), which answers 42P05 as PostgreSQL does
        }
        String backendName = statements.backendName(parse.sql(), parse.parameterTypes());
        if (!known.test(backendName) || !fits(parse.name(), parse.sql())) {
            return false;
        }
        statements.define(parse.name(), parse.sql(), parse.parameterTypes());
        waiting.pollFirst().release();
        waiting.pollFirst().release();
        responses.add(Entry.answered(ParseComplete.INSTANCE));
        responses.add(Entry.answered(io.pgroute.protocol.backend.ReadyForQuery.IDLE));
        return true;
    }

    /** Portals do not outlive their transaction. */
    void onTransactionEnd() {
        portalSql.clear();
    }

    /**
     * Sends {@code frame} (ownership passes) to {@code backend}; {@code executed} receives the SQL text of each
     * statement this message executes (Query, Execute), for settings tracking and pinning.
     */
    void send(BackendConnection backend, PgFrame frame, FrontendType type, Consumer<String> executed) {
        if (!frame.startsMessage()) {
            if (forwardingPieces) {
                backend.write(frame);  // the rest of a message whose first piece went before it
            } else {
                frame.release();
            }
            return;
        }
        forwardingPieces = false;
        switch (type) {
            case QUERY -> {
                String sql = frame.cString(0);
                if (frame.isPiece()) {
                    // a Query pgroute does not read (COMPAT L1): its bytes go on as they come, and the session
                    // tracks what it does at its last piece
                    queryByName = null;
                    backend.unnamedStatement(null);
                    forward(backend, frame, Kind.QUERY);
                    forwardingPieces = true;
                    return;
                }
                executed.accept(sql);
                ParameterizedQuery query = !prepareQueries || reuse == Reuse.NONE || !keepsItsBytes(sql, backend)
                        ? null : parameterized(sql);
                String name = query == null ? null : preparedName(query);
                if (name == null) {
                    queryByName = null;
                    backend.unnamedStatement(null);  // a simple Query drops the unnamed statement
                    forward(backend, frame, Kind.QUERY);
                } else {
                    frame.release();
                    runPrepared(backend, query, name);
                }
            }
            case PARSE -> parse(backend, frame);
            case BIND -> bind(backend, frame);
            case DESCRIBE -> describe(backend, frame);
            case EXECUTE -> {
                String sql = portalSql.get(frame.cString(0));
                if (sql != null) {
                    executed.accept(sql);
                }
                forward(backend, frame, Kind.EXECUTE);
            }
            case CLOSE -> close(backend, frame);
            case SYNC -> forward(backend, frame, Kind.SYNC);
            case FUNCTION_CALL -> forward(backend, frame, Kind.FUNCTION_CALL);
            default -> backend.write(frame);
        }
    }

    /**
     * Whether pgroute may rewrite {@code sql} or send it under another name: when it is all ASCII (the same characters
     * in every client encoding), or the connection's client_encoding is UTF8 and the text is valid UTF-8. pgroute
     * reads texts as UTF-8 and keeps other bytes as they came ({@code PgBuffers}), but its lexer would misread a text
     * in a multi-byte encoding such as SJIS, whose second bytes may be quotes or backslashes in ASCII.
     */
    private static boolean keepsItsBytes(String sql, BackendConnection backend) {
        boolean ascii = true;
        for (int i = 0; i < sql.length() && ascii; i++) {
            ascii = sql.charAt(i) < 0x80;
        }
        return ascii || "UTF8".equals(backend.reportedParameters().get("client_encoding"))
                && !io.pgroute.protocol.PgBuffers.hasEscapedBytes(sql);
    }

    /**
     * {@link ParameterizedQuery#of}, or null should it fail: a flaw in an optimization must cost the client nothing
     * but the optimization (its Query then goes as sent).
     */
    private static ParameterizedQuery parameterized(String sql) {
        try {
            return ParameterizedQuery.of(sql);
        } catch (RuntimeException flaw) {
            return null;
        }
    }

    /**
     * Whether the client's unnamed statement, just defined and one that repeats, may run by its pgroute name now (see
     * {@link #reuse}).
     */
    private boolean mayReuseLastDefined() {
        return reuse == Reuse.ALL || reuse == Reuse.WITHOUT_ROWS && statements.lastDefinedReturnsNoRows();
    }

    /**
     * The pgroute name {@code query} runs as when it may run so (see {@link #prepareQueries}) and its shape was seen
     * before (a text run once gains nothing from being prepared), else null.
     */
    private String preparedName(ParameterizedQuery query) {
        if (query.returnsRows() && reuse != Reuse.ALL) {
            return null;
        }
        return statements.repeatedName(query.text(), query.parameterTypes());
    }

    /**
     * Runs the simple Query {@code query} as the prepared statement of its shape: prepared on this connection if it
     * lacks it, bound with the literals' values, described (RowDescription, which the Query would send), executed,
     * synced (ReadyForQuery). The answers a Query has no place for are dropped ({@link Entry#quiet}).
     */
    private void runPrepared(BackendConnection backend, ParameterizedQuery query, String name) {
        queryByName = name;
        if (needsPrepare(backend, name)) {
            recordPrepare(backend, name);
            responses.add(Entry.quiet(Kind.PARSE, name, query));
            backend.write(new Parse(name, query.text(), query.parameterTypes()));
        } else {
            parseSkipped.run();
        }
        String[] literals = query.values();
        byte[][] values = new byte[literals.length][];
        for (int i = 0; i < literals.length; i++) {
            values[i] = literals[i].getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        }
        responses.add(Entry.quiet(Kind.BIND, name, query));
        backend.write(new Bind("", name, NO_FORMATS, values, NO_FORMATS));
        responses.add(Entry.quiet(Kind.DESCRIBE_PORTAL, null, query));
        backend.write(Describe.portal(""));
        responses.add(Entry.quiet(Kind.EXECUTE, null, query));
        backend.write(new Execute("", 0));
        responses.add(Entry.relay(Kind.SYNC));
        backend.write(Sync.INSTANCE);
    }

    /**
     * Sends {@code begin}, a BEGIN pgroute answered the client itself, in front of the transaction's first request:
     * Parse, Bind and Execute with the unnamed statement and portal and no Sync, as pgjdbc sends its BEGIN. Should it
     * fail (a cancel can hit it), the server skips whatever follows up to the next Sync, so none of the client's request
     * runs outside the transaction (see {@link Entry#beginning}).
     */
    void begin(BackendConnection backend, String begin) {
        responses.add(Entry.beginning(Kind.PARSE));
        backend.unnamedStatement(null);  // the client's unnamed statement is parsed again should it bind it
        backend.write(new Parse("", begin, NO_TYPES));
        responses.add(Entry.beginning(Kind.BIND));
        backend.write(new Bind("", "", NO_FORMATS, NO_VALUES, NO_FORMATS));
        responses.add(Entry.beginning(Kind.EXECUTE));
        backend.write(new Execute("", 0));
    }

    private static final int[] NO_TYPES = new int[0];
    private static final byte[][] NO_VALUES = new byte[0][];

    /** No format codes: every parameter and result column in text, as a simple Query has them. */
    private static final short[] NO_FORMATS = new short[0];

    private void forward(BackendConnection backend, PgFrame frame, Kind kind) {
        responses.add(Entry.relay(kind));
        backend.write(frame);
    }

    // Parse: String name, String query, Int16 n, Int32[n] parameter types
    private void parse(BackendConnection backend, PgFrame frame) {
        Parse parse;
        try {
            parse = Parse.decodeRest(frame.body(), frame.cString(0), frame.cString(1));  // strings read by routing
        } catch (ProtocolException malformed) {
            // the server reads it as it reads any Parse and answers 08P01 itself ("insufficient data left in
            // message"…), an error the session survives, as without pgroute; nothing is defined, here or there
            forward(backend, frame, Kind.PARSE);
            return;
        }
        if (!parse.name().isEmpty() && statements.get(parse.name()) != null) {
            failInstead(backend, frame, Kind.PARSE, io.pgroute.protocol.backend.ErrorResponse.error(
                    "42P05", "prepared statement \"" + parse.name() + "\" already exists"));
            return;
        }
        if (!fits(parse.name(), parse.sql())) {
            failInstead(backend, frame, Kind.PARSE, tooManyStatements());
            return;
        }
        PreparedStatements.Statement statement = statements.define(parse.name(), parse.sql(),
                parse.parameterTypes());
        if (parse.name().isEmpty()) {
            if (statements.lastDefinedRepeats() && mayReuseLastDefined() && !mayHaveFailed
                    && keepsItsBytes(parse.sql(), backend)) {
                frame.release();
                unnamedByName = statement.backendName();
                if (needsPrepare(backend, statement.backendName())) {
                    prepareByName(backend, statement);  // once per connection, then never parsed there again
                } else {
                    parseSkipped.run();
                }
                responses.add(Entry.answered(ParseComplete.INSTANCE));
                return;
            }
            unnamedByName = null;
            backend.unnamedStatement(statement.backendName());
            forward(backend, frame, Kind.PARSE);
            return;
        }
        if (!needsPrepare(backend, statement.backendName())) {
            if (mayHaveFailed) {
                // the server judges it under the unnamed name (its answer to the same Parse): its own copy stays
                backend.unnamedStatement(null);
                responses.add(Entry.checking(statement.backendName(), parse.name()));
                backend.write(FrameRewriter.replaceCString(alloc, frame, 0, 0, ""));
                return;
            }
            frame.release();
            responses.add(Entry.answered(ParseComplete.INSTANCE));
            return;
        }
        recordPrepare(backend, statement.backendName());
        responses.add(Entry.parse(statement.backendName(), parse.name()));
        backend.write(FrameRewriter.replaceCString(alloc, frame, 0, 0, statement.backendName()));
    }

    // Bind: String portal, String statement, ... (parameter formats and values are relayed untouched)
    private void bind(BackendConnection backend, PgFrame frame) {
        String name = frame.cString(1);  // first: routing decoded it already
        String portal = frame.cString(0);
        PreparedStatements.Statement statement = statements.get(name);
        if (statement == null) {
            forwardingPieces = frame.isPiece();
            forward(backend, frame, Kind.BIND);
            return;
        }
        if (!name.isEmpty() && statements.isStale(statement)) {
            // prepared before a table it reads changed shape: PostgreSQL's answer, so the client prepares again
            failInstead(backend, frame, Kind.BIND, STALE_PLAN);
            return;
        }
        portalSql.put(portal, statement.sql());
        String backendName = ensurePrepared(backend, name, statement);
        PgFrame renamed = name.equals(backendName) ? frame
                : FrameRewriter.replaceCString(alloc, frame, 0, 1, backendName);
        responses.add(backendName.isEmpty() ? Entry.relay(Kind.BIND) : Entry.bind(backendName));
        forwardingPieces = frame.isPiece();
        backend.write(renamed);
    }

    // Describe: Byte1 'S'|'P', String name
    private void describe(BackendConnection backend, PgFrame frame) {
        ByteBuf body = frame.body();
        byte target = body.getByte(body.readerIndex());
        if (target != 'S') {
            forward(backend, frame, Kind.DESCRIBE_PORTAL);
            return;
        }
        String name = PgBuffers.readCString(body.duplicate().skipBytes(1));
        PreparedStatements.Statement statement = statements.get(name);
        if (statement == null) {
            forward(backend, frame, Kind.DESCRIBE_STATEMENT);
            return;
        }
        String backendName = ensurePrepared(backend, name, statement);
        PgFrame renamed = name.equals(backendName) ? frame
                : FrameRewriter.replaceCString(alloc, frame, 1, 0, backendName);
        forward(backend, renamed, Kind.DESCRIBE_STATEMENT);
    }

    // Close: Byte1 'S'|'P', String name — statements stay prepared on the server for whoever needs them next
    private void close(BackendConnection backend, PgFrame frame) {
        ByteBuf body = frame.body();
        byte target = body.getByte(body.readerIndex());
        if (target != 'S') {
            forward(backend, frame, Kind.CLOSE);
            return;
        }
        statements.remove(PgBuffers.readCString(body.duplicate().skipBytes(1)));
        frame.release();
        responses.add(Entry.answered(CloseComplete.INSTANCE));
    }

    /**
     * Answers {@code frame} (released) with {@code error} as PostgreSQL would, and has the server skip to Sync as
     * after a real error: a Parse that always fails goes in its place, and the client sees {@code error} instead. Its
     * text parses and fails only in analysis (no column without a FROM), as PostgreSQL judges the client's message:
     * in a failed transaction the server refuses it with 25P02 before that, which is then the client's answer too.
     */
    private void failInstead(BackendConnection backend, PgFrame frame, Kind kind,
                             io.pgroute.protocol.backend.ErrorResponse error) {
        frame.release();
        responses.add(ResponseQueue.Entry.failing(kind, error));
        backend.unnamedStatement(null);
        backend.write(new Parse("", REFUSED, new int[0]));
    }

    /** Makes sure {@code backend} has the statement; returns the name to use on it. */
    private String ensurePrepared(BackendConnection backend, String clientName, PreparedStatements.Statement statement) {
        if (clientName.isEmpty()) {
            if (reuse != Reuse.NONE && statement.backendName().equals(unnamedByName)) {
                prepareByName(backend, statement);
                return statement.backendName();
            }
            if (!statement.backendName().equals(backend.unnamedStatement())) {
                inject(backend, new Parse("", statement.sql(), statement.parameterTypes()), null);
                backend.unnamedStatement(statement.backendName());
            }
            return "";
        }
        prepareByName(backend, statement);
        return statement.backendName();
    }

    /** Prepares {@code statement} on {@code backend} under its pgroute name unless it has it already. */
    private void prepareByName(BackendConnection backend, PreparedStatements.Statement statement) {
        if (needsPrepare(backend, statement.backendName())) {
            recordPrepare(backend, statement.backendName());
            inject(backend, new Parse(statement.backendName(), statement.sql(), statement.parameterTypes()),
                    statement.backendName());
        }
    }

    /** Whether {@code backend} lacks the statement, or has it from before its plan was found stale. */
    private boolean needsPrepare(BackendConnection backend, String backendName) {
        return backend.prepared().generation(backendName) != generations.applyAsInt(backendName);
    }

    /**
     * Records that {@code backend} is about to prepare the statement in its current generation: a stale one is
     * closed on the server first (COMPAT V6), and statements evicted to stay within the bound are closed.
     */
    private void recordPrepare(BackendConnection backend, String backendName) {
        if (backend.prepared().contains(backendName)) {
            responses.add(Entry.closing(backendName));
            backend.write(Close.statement(backendName));
        }
        closeEvicted(backend, backend.prepared().add(backendName, generations.applyAsInt(backendName)));
    }

    private void inject(BackendConnection backend, Parse parse, String preparedName) {
        responses.add(new Entry(Kind.PARSE, true, null, preparedName));
        backend.write(parse);
    }

    private void closeEvicted(BackendConnection backend, java.util.List<String> evicted) {
        for (String each : evicted) {
            responses.add(Entry.closing(each));
            backend.write(Close.statement(each));
        }
    }
}
