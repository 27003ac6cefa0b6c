package io.pgroute.localcluster;

import java.util.ArrayList;
import java.util.List;

/**
 * Ties a server's life to this JVM's. The server runs under a small {@code sh} script whose stdin is a pipe that only
 * this JVM writes to; a watcher in the script blocks reading it. When the JVM dies, even by SIGKILL, or closes the
 * pipe, the read ends and the watcher sends the server its shutdown signal. The script exits with the server's
 * status. So no server outlives a test JVM that a timeout or an IDE killed.
 *
 * <pre>
 * JVM ──pipe──▶ [runuser] ─▶ sh ─┬─▶ server (stdin /dev/null)
 *                                └─▶ watcher: read; kill -SIG server
 * </pre>
 */
final class Lifeline {

    /**
     * {@code $1} is the signal, the rest the server command. A background job of a non-interactive shell starts with
     * SIGINT ignored, which servers that install their own handler (PostgreSQL) override.
     */
    private static final String SCRIPT = String.join("\n",
            "signal=$1; shift",
            "exec 3<&0 0</dev/null",
            "\"$@\" 3<&- &",
            "server=$!",
            "(read -r _ <&3; kill -\"$signal\" \"$server\" 2>/dev/null) &",
            "watcher=$!",
            "exec 3<&-",
            "wait \"$server\"",
            "status=$?",
            "kill \"$watcher\" 2>/dev/null",
            "exit \"$status\"");

    private Lifeline() {
    }

    /**
     * The command line that runs {@code command} under the lifeline; the process must be started with
     * {@link ProcessBuilder.Redirect#PIPE} as stdin, and closing that stream asks the server to stop.
     *
     * @param signal the shutdown signal without {@code SIG}: {@code INT} is PostgreSQL's fast shutdown
     */
    static List<String> wrap(String signal, List<String> command) {
        List<String> result = new ArrayList<>(List.of("/bin/sh", "-c", SCRIPT, "pgroute-lifeline", signal));
        result.addAll(command);
        return result;
    }
}
