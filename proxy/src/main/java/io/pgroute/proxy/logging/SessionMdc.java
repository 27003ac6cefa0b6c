package io.pgroute.proxy.logging;

import org.slf4j.MDC;

/**
 * The client session a log line belongs to, as MDC entries {@code session}, {@code user}, {@code database} and
 * {@code node}: JSON lines ({@link JsonLinesEncoder}) carry each as a field; the text format leaves them out.
 *
 * <p>MDC is per thread and an event loop serves many sessions, so the entries are set around each event handled for a
 * session and removed when it returns:
 * <pre>{@code
 * try (SessionMdc.Scope ignored = SessionMdc.with(info.id(), info.user(), info.database(), node)) {
 *     ... // handle the event; every line logged here carries the four fields
 * }
 * }</pre>
 * Closing a scope puts back what the thread had before, so scopes nest (a backend event handled inside a client
 * event, say). A null user, database or node leaves that field out.
 */
public final class SessionMdc {

    public static final String SESSION = "session";
    public static final String USER = "user";
    public static final String DATABASE = "database";
    public static final String NODE = "node";

    private SessionMdc() {
    }

    /** Puts the session's entries on this thread until the returned scope is closed. */
    public static Scope with(long session, String user, String database, String node) {
        Scope result = new Scope(MDC.get(SESSION), MDC.get(USER), MDC.get(DATABASE), MDC.get(NODE));
        put(SESSION, Long.toString(session));
        put(USER, user);
        put(DATABASE, database);
        put(NODE, node);
        return result;
    }

    /** Changes the node inside an open scope (the session moved to another backend); null removes it. */
    public static void node(String node) {
        put(NODE, node);
    }

    private static void put(String key, String value) {
        if (value == null) {
            MDC.remove(key);
        } else {
            MDC.put(key, value);
        }
    }

    /** Restores the entries a thread had before {@link #with}; closing twice does nothing more. */
    public static final class Scope implements AutoCloseable {

        private final String session;
        private final String user;
        private final String database;
        private final String node;
        private boolean closed;

        private Scope(String session, String user, String database, String node) {
            this.session = session;
            this.user = user;
            this.database = database;
            this.node = node;
        }

        @Override
        public void close() {
            if (closed) {
                return;
            }
            closed = true;
            put(SESSION, session);
            put(USER, user);
            put(DATABASE, database);
            put(NODE, node);
        }
    }
}
