package io.pgroute.config;

/** Which reads may go to a replica after a write ({@code routing.consistency}). */
public enum Consistency {
    /**
     * Read-your-writes: after a write, a session reads only from replicas that have replayed the primary LSN sampled
     * after the commit, else from the primary. Per session: another session's write may not be seen yet.
     */
    CAUSAL,
    /**
     * Read-your-writes across sessions: like {@link #CAUSAL}, but a read also waits for the newest write any session
     * of the database acknowledged through this pgroute to a table it reads, so a client that writes on one pooled
     * connection and reads on another sees its write. The default.
     */
    GLOBAL,
    /** After a write, a session reads from the primary for {@code routing.window}. */
    WINDOW,
    /** Reads go to any eligible replica, even right after the session's own write. */
    EVENTUAL
}
