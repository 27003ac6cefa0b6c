package io.pgroute.proxy.session;

import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.backend.BindComplete;
import io.pgroute.protocol.backend.CommandComplete;
import io.pgroute.protocol.backend.NoData;
import io.pgroute.protocol.backend.ParameterDescription;
import io.pgroute.protocol.backend.ParseComplete;
import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Parse;
import io.pgroute.proxy.sql.PlainBegin;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;

/**
 * A request unit that is only a plain BEGIN ({@link PlainBegin}) sent with the extended protocol, as pgbench
 * {@code -M extended} and libpq's {@code PQexecParams} send it (Parse, Bind, Describe, Execute, Sync), and what the
 * server would answer it with: ParseComplete, BindComplete, NoData (or ParameterDescription and NoData for a Describe
 * of the statement), CommandComplete; ReadyForQuery is the session's. Without parameters, in the unnamed portal, and
 * parsed in the unit itself: a client that binds a BEGIN it prepared before (pgbench {@code -M prepared}) prepares
 * its other statements synchronously too, inside the transaction, and a multiplexing one (pgbench's threads) must
 * then find its transaction holding a connection, or it waits for connections its own other clients hold (COMPAT
 * V12). Anything else in the unit and it is not one.
 *
 * @param name    the name the unit's Parse gives its statement
 * @param sql     the BEGIN's text
 * @param answers the server's answers up to (not including) ReadyForQuery
 */
record ExtendedBegin(String name, String sql, List<BackendMessage> answers) {

    /** The most messages such a unit has: Parse, Bind, Describe, Execute, Sync. */
    private static final int MAX_LENGTH = 5;

    /**
     * The unit of the first {@code length} messages of {@code waiting} (ending with its Sync), or null when it is not
     * such a BEGIN; {@code translator} knows the client's statements.
     */
    static ExtendedBegin of(Iterable<PgFrame> waiting, int length, StatementTranslator translator) {
        if (length < 3 || length > MAX_LENGTH) {
            return null;
        }
        Iterator<PgFrame> frames = waiting.iterator();
        PgFrame first = frames.next();
        String name;
        String sql;
        String tag;
        try {
            if (!first.is(FrontendType.PARSE) || first.isPiece()) {
                return null;
            }
            sql = first.cString(1);  // read for routing already: every extended unit's text decides first
            tag = PlainBegin.tag(sql);
            if (tag == null) {
                return null;
            }
            name = first.cString(0);
            if (Parse.decodeRest(first.body(), name, sql).parameterTypes().length != 0  // malformed: throws
                    || !name.isEmpty() && translator.statements().get(name) != null
                    || !translator.fits(name, sql)) {
                return null;  // "already exists" and the limit are the server's or the translator's to say
            }
        } catch (RuntimeException malformed) {
            return null;  // the server will say
        }
        boolean bound = false;
        boolean executed = false;
        List<BackendMessage> answers = new ArrayList<>(length);
        answers.add(ParseComplete.INSTANCE);
        try {
            for (int i = 1; i < length; i++) {
                PgFrame each = frames.next();
                FrontendType type = FrontendType.of(each.type());
                if (each.isPiece() || type == null) {
                    return null;
                }
                switch (type) {
                    case BIND -> {
                        Bind bind = each.decode(Bind::decode);
                        if (bound || !bind.statement().equals(name) || !bind.portal().isEmpty()
                                || bind.parameterCount() != 0) {
                            return null;
                        }
                        bound = true;
                        answers.add(BindComplete.INSTANCE);
                    }
                    case DESCRIBE -> {
                        byte target = each.body().getByte(each.body().readerIndex());
                        String described = each.body().readableBytes() > 1
                                ? io.pgroute.protocol.PgBuffers.readCString(each.body().duplicate().skipBytes(1))
                                : null;
                        if (target == 'P' && bound && "".equals(described)) {
                            answers.add(NoData.INSTANCE);
                        } else if (target == 'S' && name.equals(described)) {
                            answers.add(new ParameterDescription(new int[0]));
                            answers.add(NoData.INSTANCE);
                        } else {
                            return null;
                        }
                    }
                    case EXECUTE -> {
                        if (!bound || executed || !each.cString(0).isEmpty()) {
                            return null;
                        }
                        executed = true;
                        answers.add(new CommandComplete(tag));
                    }
                    case SYNC -> {
                        if (i != length - 1) {
                            return null;
                        }
                    }
                    default -> {
                        return null;
                    }
                }
            }
        } catch (RuntimeException malformed) {
            return null;  // the server will say
        }
        return executed ? new ExtendedBegin(name, sql, answers) : null;
    }

    /** The statement the unit parses becomes the client's, as if the server had parsed it. */
    void defineParsed(PreparedStatements statements) {
        statements.define(name, sql, new int[0]);
    }
}
