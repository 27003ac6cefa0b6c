package io.pgroute.proxy.admin;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.backend.BindComplete;
import io.pgroute.protocol.backend.CloseComplete;
import io.pgroute.protocol.backend.CommandComplete;
import io.pgroute.protocol.backend.DataRow;
import io.pgroute.protocol.backend.EmptyQueryResponse;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.backend.NoData;
import io.pgroute.protocol.backend.ParameterDescription;
import io.pgroute.protocol.backend.ParameterStatus;
import io.pgroute.protocol.backend.ParseComplete;
import io.pgroute.protocol.backend.PortalSuspended;
import io.pgroute.protocol.backend.ReadyForQuery;
import io.pgroute.protocol.backend.RowDescription;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Close;
import io.pgroute.protocol.frontend.Describe;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.protocol.frontend.Query;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * One admin console connection: answers the simple and the extended query protocol itself, without a backend.
 * Confined to the connection's event loop. Frames are handled one at a time; while a command waits for other
 * threads (sessions on other loops, Redis) the next frames wait in order and the client is not read.
 *
 * <pre>
 *   READY --Query--> run --> rows, CommandComplete | ErrorResponse --> ReadyForQuery --> READY
 *   READY --Parse/Bind/Describe/Execute/Close--> answers --Sync--> ReadyForQuery --> READY
 *     an error in an extended batch --> SKIPPING (every message dropped) --Sync--> ReadyForQuery --> READY
 *   BEGIN … COMMIT/ROLLBACK: answered, ReadyForQuery 'T' in between (nothing is transactional)
 *   any --Terminate--> closed;  any --unexpected type--> FATAL 08P01, closed
 * </pre>
 */
final class AdminSession {

    private static final Logger LOGGER = LoggerFactory.getLogger(AdminSession.class);

    private static final short[] NO_FORMATS = new short[0];

    private final Channel client;
    private final AdminCommands commands;
    private final String label;
    private final Deque<PgFrame> pending = new ArrayDeque<>();
    private final Map<String, AdminCommand> statements = new HashMap<>();
    private final Map<String, Portal> portals = new HashMap<>();
    private boolean skipping;
    /** Inside a BEGIN … COMMIT of the client's (nothing is transactional here; the status is reported). */
    private boolean inTransaction;
    private boolean busy;
    private boolean closed;
    private Runnable afterReply;

    /** A bound statement; its result is computed at the first Execute and sent in pieces of maxRows. */
    private static final class Portal {
        private final AdminCommand command;
        /** The result formats of Bind: none (all text), one for all columns, or one per column. */
        private final short[] formats;
        private AdminResult result;
        private int sent;

        Portal(AdminCommand command, short[] formats) {
            this.command = command;
            this.formats = formats;
        }
    }

    AdminSession(Channel client, AdminCommands commands, String label) {
        this.client = client;
        this.commands = commands;
        this.label = label;
    }

    void onClientFrame(PgFrame frame) {
        if (closed) {
            frame.release();
            return;
        }
        pending.addLast(frame);
        drain();
    }

    void onClientClosed() {
        closed = true;
        while (!pending.isEmpty()) {
            pending.pollFirst().release();
        }
    }

    private void drain() {
        while (!busy && !closed && !pending.isEmpty()) {
            PgFrame frame = pending.pollFirst();
            try {
                handle(frame);
            } catch (ProtocolException e) {
                fatal(ErrorResponse.fatal(e.sqlState(), e.getMessage()));
            } finally {
                frame.release();
            }
        }
    }

    private void handle(PgFrame frame) {
        FrontendType type = FrontendType.of(frame.type());
        if (type == FrontendType.TERMINATE) {
            closed = true;
            client.close();
            return;
        }
        if (type == FrontendType.SYNC) {
            skipping = false;
            portals.remove("");
            ready();
            return;
        }
        if (skipping) {
            return;
        }
        if (frame.isPiece()) {  // a Bind longer than FrameDecoder.STREAM_ABOVE: no admin command takes one
            if (frame.startsMessage()) {
                fatal(ErrorResponse.fatal(SqlState.PROGRAM_LIMIT_EXCEEDED, "message too long for the admin console"));
            }
            return;
        }
        if (type == null) {
            fatal(ErrorResponse.fatal(SqlState.PROTOCOL_VIOLATION, "invalid frontend message type "
                    + (frame.type() & 0xFF)));
            return;
        }
        switch (type) {
            case QUERY -> onQuery(frame.decode(Query::decode));
            case PARSE -> onParse(frame.decode(Parse::decode));
            case BIND -> onBind(frame.decode(Bind::decode));
            case DESCRIBE -> onDescribe(frame.decode(Describe::decode));
            case EXECUTE -> onExecute(frame.decode(Execute::decode));
            case CLOSE -> onClose(frame.decode(Close::decode));
            case FLUSH -> flush();
            default -> fatal(ErrorResponse.fatal(SqlState.PROTOCOL_VIOLATION, "message type '" + (char) type.code()
                    + "' is not supported by the admin console"));
        }
    }

    // ---- simple protocol ----

    private void onQuery(Query query) {
        AdminCommand command;
        try {
            command = AdminCommandParser.parse(query.sql());
        } catch (AdminException e) {
            client.write(error(e));
            ready();
            return;
        }
        if (command instanceof AdminCommand.Empty) {
            client.write(EmptyQueryResponse.INSTANCE);
            ready();
            return;
        }
        run(command, result -> {
            if (result.hasRows()) {
                client.write(rowDescription(result.columns(), NO_FORMATS));
            }
            sendRows(result, NO_FORMATS, 0, result.rows().size());
            complete(command, result);
            ready();
        }, this::ready);
    }

    // ---- extended protocol ----

    private void onParse(Parse parse) {
        if (!parse.name().isEmpty() && statements.containsKey(parse.name())) {
            fail(new AdminException(SqlState.DUPLICATE_PREPARED_STATEMENT, "prepared statement \"" + parse.name()
                    + "\" already exists"));
            return;
        }
        AdminCommand command;
        try {
            command = AdminCommandParser.parse(parse.sql());
        } catch (AdminException e) {
            fail(e);
            return;
        }
        statements.put(parse.name(), command);
        client.write(ParseComplete.INSTANCE);
    }

    private void onBind(Bind bind) {
        AdminCommand statement = statements.get(bind.statement());
        if (statement == null) {
            fail(new AdminException(SqlState.INVALID_SQL_STATEMENT_NAME, "prepared statement \"" + bind.statement()
                    + "\" does not exist"));
            return;
        }
        if (bind.parameterCount() > 0) {
            fail(new AdminException(SqlState.PROTOCOL_VIOLATION, "bind message supplies " + bind.parameterCount()
                    + " parameters, but admin console statements take none"));
            return;
        }
        for (short each : bind.resultFormats()) {
            if (each != 0 && each != 1) {
                fail(new AdminException(SqlState.PROTOCOL_VIOLATION, "unsupported format code: " + each));
                return;
            }
        }
        int columns = commands.columns(statement).map(List::size).orElse(0);
        int formats = bind.resultFormats().length;
        if (formats > 1 && formats != columns) {
            fail(new AdminException(SqlState.PROTOCOL_VIOLATION, "bind message has " + formats
                    + " result formats but query has " + columns + " columns"));
            return;
        }
        if (!bind.portal().isEmpty() && portals.containsKey(bind.portal())) {
            fail(new AdminException("42P03", "portal \"" + bind.portal() + "\" already exists"));
            return;
        }
        portals.put(bind.portal(), new Portal(statement, bind.resultFormats()));
        client.write(BindComplete.INSTANCE);
    }

    private void onDescribe(Describe describe) {
        if (describe.target() == Describe.STATEMENT) {
            AdminCommand statement = statements.get(describe.name());
            if (statement == null) {
                fail(new AdminException(SqlState.INVALID_SQL_STATEMENT_NAME, "prepared statement \""
                        + describe.name() + "\" does not exist"));
                return;
            }
            client.write(new ParameterDescription(new int[0]));
            describeRows(statement, NO_FORMATS);
            return;
        }
        Portal portal = portals.get(describe.name());
        if (portal == null) {
            fail(new AdminException(SqlState.INVALID_CURSOR_NAME, "portal \"" + describe.name()
                    + "\" does not exist"));
            return;
        }
        describeRows(portal.command, portal.formats);
    }

    private void describeRows(AdminCommand command, short[] formats) {
        List<AdminResult.Column> columns = commands.columns(command).orElse(null);
        client.write(columns == null ? NoData.INSTANCE : rowDescription(columns, formats));
    }

    private void onExecute(Execute execute) {
        Portal portal = portals.get(execute.portal());
        if (portal == null) {
            fail(new AdminException(SqlState.INVALID_CURSOR_NAME, "portal \"" + execute.portal()
                    + "\" does not exist"));
            return;
        }
        if (portal.command instanceof AdminCommand.Empty) {
            client.write(EmptyQueryResponse.INSTANCE);
            return;
        }
        if (portal.result != null) {
            sendPortal(portal, execute.maxRows());
            return;
        }
        run(portal.command, result -> {
            portal.result = result;
            sendPortal(portal, execute.maxRows());
        }, () -> skipping = true);
    }

    private void sendPortal(Portal portal, int maxRows) {
        AdminResult result = portal.result;
        int total = result.rows().size();
        int end = maxRows > 0 ? Math.min(total, portal.sent + maxRows) : total;
        sendRows(result, portal.formats, portal.sent, end);
        portal.sent = end;
        if (maxRows > 0 && end < total) {
            client.write(PortalSuspended.INSTANCE);
        } else {
            complete(portal.command, result);
        }
    }

    private void onClose(Close close) {
        if (close.target() == Close.STATEMENT) {
            statements.remove(close.name());
        } else {
            portals.remove(close.name());
        }
        client.write(CloseComplete.INSTANCE);
    }

    // ---- running commands ----

    /**
     * Runs {@code command}; on success {@code onResult}, on failure an ErrorResponse then {@code onError}. A command
     * that completes later holds the next frames (and client reads) until it has been answered.
     */
    private void run(AdminCommand command, java.util.function.Consumer<AdminResult> onResult, Runnable onError) {
        CompletableFuture<AdminResult> running;
        try {
            running = commands.run(command);
        } catch (RuntimeException e) {
            running = CompletableFuture.failedFuture(e);
        }
        if (running.isDone()) {
            answer(running, onResult, onError);
            return;
        }
        busy = true;
        client.config().setAutoRead(false);
        CompletableFuture<AdminResult> later = running;
        running.whenComplete((ignored, failure) -> client.eventLoop().execute(() -> {
            busy = false;
            if (closed) {
                return;
            }
            answer(later, onResult, onError);
            flush();
            client.config().setAutoRead(true);
            drain();
        }));
    }

    private void answer(CompletableFuture<AdminResult> done, java.util.function.Consumer<AdminResult> onResult,
                        Runnable onError) {
        AdminResult result;
        try {
            result = done.join();
        } catch (CompletionException | java.util.concurrent.CancellationException e) {
            client.write(error(e.getCause() != null ? e.getCause() : e));
            onError.run();
            return;
        }
        onResult.accept(result);
    }

    private void complete(AdminCommand command, AdminResult result) {
        client.write(new CommandComplete(result.tag()));
        if (command instanceof AdminCommand.Transaction transaction) {
            inTransaction = transaction.open();
        }
        if (command instanceof AdminCommand.Set set && set.name().equals("application_name")) {
            client.write(new ParameterStatus("application_name", set.value()));
        }
        if (result.afterReply() != null) {
            afterReply = result.afterReply();
        }
    }

    private void sendRows(AdminResult result, short[] formats, int from, int to) {
        List<AdminResult.Column> columns = result.columns();
        for (int i = from; i < to; i++) {
            Object[] values = result.rows().get(i);
            byte[][] text = new byte[values.length][];
            for (int c = 0; c < values.length; c++) {
                text[c] = columns.get(c).type().encode(values[c], format(formats, c));
            }
            client.write(new DataRow(text));
        }
    }

    private static RowDescription rowDescription(List<AdminResult.Column> columns, short[] formats) {
        List<RowDescription.Field> fields = new ArrayList<>(columns.size());
        for (int i = 0; i < columns.size(); i++) {
            AdminResult.Column each = columns.get(i);
            fields.add(new RowDescription.Field(each.name(), 0, (short) 0, each.type().oid(), each.type().size(), -1,
                    format(formats, i)));
        }
        return new RowDescription(fields);
    }

    /** Column {@code index}'s format under Bind's rule: none = text, one = for all, else one per column. */
    private static short format(short[] formats, int index) {
        if (formats.length == 0) {
            return 0;
        }
        return formats.length == 1 ? formats[0] : formats[index];
    }

    // ---- answers ----

    private void fail(AdminException e) {
        client.write(error(e));
        skipping = true;
    }

    private ErrorResponse error(Throwable failure) {
        if (failure instanceof AdminException admin) {
            ErrorResponse result = ErrorResponse.error(admin.sqlState(), admin.getMessage());
            return admin.hint() == null ? result : result.withHint(admin.hint());
        }
        LOGGER.warn("admin console {}: command failed", label, failure);
        String message = failure.getMessage() == null ? failure.getClass().getSimpleName() : failure.getMessage();
        return ErrorResponse.error(SqlState.INTERNAL_ERROR, "admin command failed: " + message);
    }

    private void ready() {
        client.write(inTransaction ? ReadyForQuery.IN_TRANSACTION : ReadyForQuery.IDLE);
        flush();
    }

    private void flush() {
        Runnable action = afterReply;
        afterReply = null;
        if (action == null) {
            client.flush();
        } else {
            client.writeAndFlush(io.netty.buffer.Unpooled.EMPTY_BUFFER).addListener(done -> action.run());
        }
    }

    private void fatal(ErrorResponse error) {
        closed = true;
        LOGGER.info("closing admin console {}: {} {}", label, error.sqlState(), error.message());
        client.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
    }
}
