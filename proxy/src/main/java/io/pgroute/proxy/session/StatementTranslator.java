package io.pgroute.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgBuffers;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.backend.CloseComplete;
import io.pgroute.protocol.backend.ParseComplete;
import io.pgroute.protocol.frontend.Close;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.proxy.backend.BackendConnection;
import io.pgroute.proxy.session.ResponseQueue.Entry;
import io.pgroute.proxy.session.ResponseQueue.Kind;

import java.util.HashMap;
import java.util.Map;
import java.util.function.Consumer;

/**
 * Sends a client's request messages to whichever backend connection runs them, with prepared statements made
 * virtual: a client statement name becomes the pgroute name of its SQL and types, prepared on each connection the
 * first time that connection needs it (an injected Parse whose answer the client never sees), and answered locally
 * when the connection already has it. Every message sent gets its {@link ResponseQueue} entry.
 */
final class StatementTranslator {

    private final PreparedStatements statements;
    private final Map<String, String> portalSql = new HashMap<>();
    private final ResponseQueue responses;
    private final ByteBufAllocator alloc;

    StatementTranslator(ResponseQueue responses, ByteBufAllocator alloc) {
        this(responses, alloc, () -> null);
    }

    /** @param searchPath the search_path the client SET, or null (see {@link PreparedStatements#backendName}) */
    StatementTranslator(ResponseQueue responses, ByteBufAllocator alloc,
                        java.util.function.Supplier<String> searchPath) {
        this.statements = new PreparedStatements(searchPath);
        this.responses = responses;
        this.alloc = alloc;
    }

    PreparedStatements statements() {
        return statements;
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
        String backendName = statements.backendName(parse.sql(), parse.parameterTypes());
        if (parse.name().isEmpty() || !known.test(backendName)) {
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
        switch (type) {
            case QUERY -> {
                backend.unnamedStatement(null);  // a simple Query drops the unnamed statement
                executed.accept(frame.cString(0));
                forward(backend, frame, Kind.QUERY);
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

    private void forward(BackendConnection backend, PgFrame frame, Kind kind) {
        responses.add(Entry.relay(kind));
        backend.write(frame);
    }

    // Parse: String name, String query, Int16 n, Int32[n] parameter types
    private void parse(BackendConnection backend, PgFrame frame) {
        Parse parse = frame.decode(Parse::decode);
        if (!parse.name().isEmpty() && statements.get(parse.name()) != null) {
            // PostgreSQL answers 42P05 and skips to Sync; a Parse that cannot parse makes the server do the same
            frame.release();
            responses.add(ResponseQueue.Entry.failing(Kind.PARSE, io.pgroute.protocol.backend.ErrorResponse.error(
                    "42P05", "prepared statement \"" + parse.name() + "\" already exists")));
            backend.unnamedStatement(null);
            backend.channel().write(new Parse("", "pgroute: statement name already in use", new int[0]),
                    backend.channel().voidPromise());
            return;
        }
        PreparedStatements.Statement statement = statements.define(parse.name(), parse.sql(),
                parse.parameterTypes());
        if (parse.name().isEmpty()) {
            backend.unnamedStatement(statement.backendName());
            forward(backend, frame, Kind.PARSE);
            return;
        }
        if (backend.prepared().contains(statement.backendName())) {
            frame.release();
            responses.add(Entry.answered(ParseComplete.INSTANCE));
            return;
        }
        closeEvicted(backend, backend.prepared().add(statement.backendName()));
        responses.add(Entry.parse(statement.backendName(), parse.name()));
        backend.write(FrameRewriter.replaceCString(alloc, frame, 0, 0, statement.backendName()));
    }

    // Bind: String portal, String statement, ... (parameter formats and values are relayed untouched)
    private void bind(BackendConnection backend, PgFrame frame) {
        String name = frame.cString(1);  // first: routing decoded it already
        String portal = frame.cString(0);
        PreparedStatements.Statement statement = statements.get(name);
        if (statement == null) {
            forward(backend, frame, Kind.BIND);
            return;
        }
        portalSql.put(portal, statement.sql());
        String backendName = ensurePrepared(backend, name, statement);
        PgFrame renamed = name.equals(backendName) ? frame
                : FrameRewriter.replaceCString(alloc, frame, 0, 1, backendName);
        forward(backend, renamed, Kind.BIND);
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

    /** Makes sure {@code backend} has the statement; returns the name to use on it. */
    private String ensurePrepared(BackendConnection backend, String clientName, PreparedStatements.Statement statement) {
        if (clientName.isEmpty()) {
            if (!statement.backendName().equals(backend.unnamedStatement())) {
                inject(backend, new Parse("", statement.sql(), statement.parameterTypes()), null);
                backend.unnamedStatement(statement.backendName());
            }
            return "";
        }
        if (!backend.prepared().contains(statement.backendName())) {
            closeEvicted(backend, backend.prepared().add(statement.backendName()));
            inject(backend, new Parse(statement.backendName(), statement.sql(), statement.parameterTypes()),
                    statement.backendName());
        }
        return statement.backendName();
    }

    private void inject(BackendConnection backend, Parse parse, String preparedName) {
        responses.add(new Entry(Kind.PARSE, true, null, preparedName));
        backend.channel().write(parse, backend.channel().voidPromise());
    }

    private void closeEvicted(BackendConnection backend, java.util.List<String> evicted) {
        for (String each : evicted) {
            responses.add(Entry.injected(Kind.CLOSE));
            backend.channel().write(Close.statement(each), backend.channel().voidPromise());
        }
    }
}
