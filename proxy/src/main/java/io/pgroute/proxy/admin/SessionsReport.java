package io.pgroute.proxy.admin;

import io.pgroute.protocol.SqlState;
import io.pgroute.proxy.backend.BackendConnection;
import io.pgroute.proxy.server.SessionRegistry;
import io.pgroute.proxy.session.ClientSession;
import io.pgroute.proxy.session.SessionInfo;

import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;

/**
 * {@code SHOW CLIENTS}, {@code SHOW SERVERS} and {@code KILL CLIENT}. A session is confined to its event loop, so
 * each one is looked at on its own loop and the answers are gathered without blocking anybody.
 */
final class SessionsReport {

    private final SessionRegistry sessions;

    SessionsReport(SessionRegistry sessions) {
        this.sessions = sessions;
    }

    static AdminResult.Builder clientColumns() {
        return new AdminResult.Builder().column("id", ColumnType.INT8).column("user", ColumnType.TEXT)
                .column("database", ColumnType.TEXT).column("address", ColumnType.TEXT)
                .column("state", ColumnType.TEXT).column("pinned_reason", ColumnType.TEXT)
                .column("node", ColumnType.TEXT).column("connected_since", ColumnType.TIMESTAMPTZ);
    }

    static AdminResult.Builder serverColumns() {
        return new AdminResult.Builder().column("session_id", ColumnType.INT8).column("database", ColumnType.TEXT)
                .column("node", ColumnType.TEXT).column("pid", ColumnType.INT4).column("state", ColumnType.TEXT);
    }

    CompletableFuture<AdminResult> clients() {
        return views().thenApply(views -> {
            AdminResult.Builder result = clientColumns();
            for (View each : views) {
                result.row(each.id(), each.user(), each.database(), each.address(), each.state(), each.pinnedReason(),
                        each.node() == null ? "" : each.node(), each.connectedAt());
            }
            return result.build();
        });
    }

    CompletableFuture<AdminResult> servers() {
        return views().thenApply(views -> {
            AdminResult.Builder result = serverColumns();
            for (View each : views) {
                if (each.node() != null) {
                    result.row(each.id(), each.database(), each.node(), each.pid() == 0 ? null : each.pid(),
                            each.state());
                }
            }
            return result.build();
        });
    }

    /** Closes session {@code id} with 57P01 on its event loop; 42704 when there is no such session. */
    AdminResult kill(long id) {
        for (ClientSession each : sessions.snapshot()) {
            if (each.id() == id) {
                each.eventLoop().execute(each::forceShutdown);
                return AdminResult.command("KILL");
            }
        }
        throw new AdminException(SqlState.UNDEFINED_OBJECT, "client " + id + " does not exist");
    }

    /** One view per live session, by id. A session whose loop is gone is left out. */
    private CompletableFuture<List<View>> views() {
        List<CompletableFuture<View>> parts = new ArrayList<>();
        for (ClientSession each : sessions.snapshot()) {
            CompletableFuture<View> part = new CompletableFuture<>();
            try {
                each.eventLoop().execute(() -> part.complete(view(each)));
            } catch (java.util.concurrent.RejectedExecutionException e) {
                part.complete(null);
            }
            parts.add(part.exceptionally(failure -> null));
        }
        return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new)).thenApply(ignored -> parts.stream()
                .map(CompletableFuture::join).filter(Objects::nonNull).sorted(Comparator.comparingLong(View::id))
                .toList());
    }

    /** Runs on the session's event loop. */
    private static View view(ClientSession session) {
        SessionInfo info = session.info();
        byte status = session.transactionStatus();
        String pinned = session.pinnedBecause().orElse(null);
        String state;
        if (status != 'I') {
            state = "in-transaction";
        } else if (!session.isIdle()) {
            state = "active";
        } else {
            state = pinned != null ? "pinned" : "idle";
        }
        BackendConnection backend = session.backend().orElse(null);
        String node = null;
        int pid = 0;
        if (backend != null) {
            String full = backend.target().node();
            node = full.substring(full.indexOf('/') + 1);
            pid = backend.processId();
        }
        return new View(info.id(), info.user(), info.database(), address(info.address()), state, pinned, node, pid,
                info.connectedAt());
    }

    private static String address(SocketAddress address) {
        if (address instanceof InetSocketAddress inet) {
            return inet.getAddress() == null ? inet.getHostString() + ":" + inet.getPort()
                    : inet.getAddress().getHostAddress() + ":" + inet.getPort();
        }
        if (address instanceof io.netty.channel.unix.DomainSocketAddress) {
            return "unix";  // a client of the Unix-domain socket has no address of its own (PgBouncer says the same)
        }
        return address == null ? null : address.toString();
    }

    /** What the console shows of one session. */
    private record View(long id, String user, String database, String address, String state, String pinnedReason,
                        String node, int pid, Instant connectedAt) {
    }
}
