package io.pgroute.proxy.frontend;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.netty.util.concurrent.Future;
import io.pgroute.config.BackendTlsMode;
import io.pgroute.config.DatabaseConfig;
import io.pgroute.config.UserConfig;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.backend.AuthenticationOk;
import io.pgroute.protocol.backend.BackendKeyData;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.backend.ParameterStatus;
import io.pgroute.protocol.backend.ReadyForQuery;
import io.pgroute.proxy.admin.AdminStartup;
import io.pgroute.proxy.backend.BackendConnection;
import io.pgroute.proxy.backend.BackendErrorException;
import io.pgroute.proxy.backend.BackendPool;
import io.pgroute.proxy.backend.BackendTarget;
import io.pgroute.proxy.backend.LoginSecret;
import io.pgroute.proxy.backend.SessionSettings;
import io.pgroute.proxy.error.ErrorResponder;
import io.pgroute.proxy.server.ProxyContext;
import io.pgroute.proxy.session.CancelRegistry;
import io.pgroute.proxy.session.ClientFrameHandler;
import io.pgroute.proxy.session.ClientSession;
import io.pgroute.proxy.session.SessionInfo;
import io.pgroute.proxy.session.SessionRouting;
import io.pgroute.config.PoolMode;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Queue;

/**
 * After authentication: checks the database, opens the client's backend connection, then tells the client
 * AuthenticationOk, the server parameters, pgroute's own BackendKeyData and ReadyForQuery, and hands the
 * connection to a {@link ClientSession}. Frames a client pipelines before ReadyForQuery are kept and replayed.
 */
final class SessionStarter extends ChannelInboundHandlerAdapter {

    private static final Logger LOGGER = LoggerFactory.getLogger(SessionStarter.class);
    /** Parameters PostgreSQL reports that pgroute computes itself rather than copy from a backend. */
    private static final Map<String, String> OVERRIDES = Map.of("in_hot_standby", "off");

    private final ProxyContext context;
    private final Map<String, String> parameters;
    private final int protocolMinor;
    private final LoginSecret clientSecret;
    private final Queue<PgFrame> early = new ArrayDeque<>();
    private boolean clientGone;

    /** @param clientSecret what the client proved at login when pgroute has no password of its user, or null */
    SessionStarter(ProxyContext context, Map<String, String> parameters, int protocolMinor,
                   LoginSecret clientSecret) {
        this.context = context;
        this.parameters = parameters;
        this.protocolMinor = protocolMinor;
        this.clientSecret = clientSecret;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        String database = parameters.get("database");
        if (AdminStartup.DATABASE.equals(database)) {
            AdminStartup.start(ctx, context, parameters, protocolMinor);
            return;
        }
        DatabaseConfig db = context.config().database(database).orElse(null);
        if (db == null) {
            refuse(ctx, ErrorResponse.fatal(SqlState.INVALID_CATALOG_NAME,
                    "database \"" + database + "\" does not exist"));
            return;
        }
        if (context.sessions().size() >= context.config().limits().maxClients()) {
            refuse(ctx, ErrorResponse.fatal(SqlState.TOO_MANY_CONNECTIONS, "sorry, too many clients already"));
            return;
        }
        // PostgreSQL's rolconnlimit and datconnlimit, for pgroute's clients (not its server connections)
        String user = parameters.get("user");
        int userLimit = context.config().user(user).map(UserConfig::maxClients).orElse(0);
        if (userLimit > 0 && context.sessions().sessionsOfUser(user) >= userLimit) {
            refuse(ctx, ErrorResponse.fatal(SqlState.TOO_MANY_CONNECTIONS,
                    "too many connections for role \"" + user + "\""));
            return;
        }
        if (db.maxClients() > 0 && context.sessions().sessionsOfDatabase(database) >= db.maxClients()) {
            refuse(ctx, ErrorResponse.fatal(SqlState.TOO_MANY_CONNECTIONS,
                    "too many connections for database \"" + database + "\""));
            return;
        }
        ctx.channel().config().setAutoRead(false);
        BackendTarget target = context.pools().canonical(target(db));
        SessionRouting routing = new SessionRouting(context.classifier(), context.pools(), target,
                context.routing().get(db.name()), context.config().pool().mode() == PoolMode.TRANSACTION);
        BackendPool pool = routing.primaryPool(ctx.channel().eventLoop());  // the node that takes writes now
        lease(ctx, routing, pool, 1);
    }

    /**
     * Leases the client's first connection. One that earlier clients left with settings of theirs is reset first,
     * and the client's replayed startup parameters (application_name, TimeZone…) are set: what the server reports is
     * what this client is told at login (COMPAT P1), as the server spells the values. A value the server refuses fails
     * the login with its error. A connection the reset finds broken is closed and another one leased,
     * {@code retries} more times.
     */
    private void lease(ChannelHandlerContext ctx, SessionRouting routing, BackendPool pool, int retries) {
        Future<BackendConnection> connecting = pool.lease();
        connecting.addListener(done -> {
            if (!done.isSuccess()) {
                onBackendFailed(ctx, done.cause());
                return;
            }
            BackendConnection backend = connecting.getNow();
            backend.applySettings(SessionSettings.startup(parameters), clean -> {
                if (clean) {
                    onBackendReady(ctx, routing, pool, backend);
                    return;
                }
                io.pgroute.protocol.backend.ErrorResponse refused = backend.settingsRefused();
                if (refused != null) {
                    // a startup parameter the server refuses (an unknown time zone): the login fails as it would
                    // on the server, FATAL with its error; the connection goes back clean
                    pool.release(backend, BackendPool.Release.RESET);
                    onBackendFailed(ctx, new BackendErrorException(refused));
                    return;
                }
                pool.release(backend, BackendPool.Release.CLOSE);
                if (retries > 0 && !clientGone) {
                    lease(ctx, routing, pool, retries - 1);
                } else {
                    onBackendFailed(ctx, new java.io.IOException("backend connection " + backend.label()
                            + " failed while its settings were reset"));
                }
            });
        });
    }

    private BackendTarget target(DatabaseConfig db) {
        String user = parameters.get("user");
        String backendUser = db.user() != null ? db.user() : user;
        String password = db.password();
        if (password == null) {
            password = context.config().user(user).map(UserConfig::password).orElse(null);
        }
        Map<String, String> startup = new LinkedHashMap<>(parameters);
        startup.remove("user");
        startup.remove("database");
        // replayed on each lease instead: clients that differ only in these share a pool
        startup.entrySet().removeIf(each -> SessionSettings.replayed(each.getKey(), each.getValue()));
        // without a password for the client's own role, what it proved logs in as it (passthrough)
        LoginSecret secret = password == null && backendUser.equals(user) ? clientSecret : null;
        return new BackendTarget(db.name() + "/primary", db.primary().host(), db.primary().port(), db.dbname(),
                backendUser, password, secret, tls(db.tls()), db.tlsCa(), startup);
    }

    private static BackendTarget.BackendTls tls(BackendTlsMode mode) {
        return switch (mode) {
            case DISABLE -> BackendTarget.BackendTls.DISABLE;
            case PREFER -> BackendTarget.BackendTls.PREFER;
            case REQUIRE -> BackendTarget.BackendTls.REQUIRE;
            case VERIFY_CA -> BackendTarget.BackendTls.VERIFY_CA;
            case VERIFY_FULL -> BackendTarget.BackendTls.VERIFY_FULL;
        };
    }

    private void onBackendReady(ChannelHandlerContext ctx, SessionRouting routing, BackendPool pool,
                                BackendConnection backend) {
        if (clientGone || !ctx.channel().isActive()) {
            pool.release(backend, BackendPool.Release.KEEP);
            releaseEarly();
            return;
        }
        CancelRegistry.Key key = context.cancelKeys().mint(protocolMinor >= 2 ? 32 : 4);
        SessionInfo info = new SessionInfo(context.sessionIds().incrementAndGet(), parameters.get("user"),
                parameters.get("database"), ctx.channel().remoteAddress(), parameters, protocolMinor, Instant.now());
        context.recorder().login(null);
        ctx.write(AuthenticationOk.INSTANCE);
        Map<String, String> reported = new LinkedHashMap<>(backend.reportedParameters());
        reported.putAll(OVERRIDES);
        reported.forEach((name, value) -> ctx.write(new ParameterStatus(name, value)));
        ctx.write(new BackendKeyData(key.processId(), key.secret()));
        ctx.writeAndFlush(ReadyForQuery.IDLE);
        ClientSession session = new ClientSession(info, ctx.channel(), key, routing, pool, backend,
                context.sessions(), context.resultCache(), context.recorder());
        context.sessions().add(session);
        LOGGER.debug("session={} started on backend={}", info.id(), backend.label());
        ctx.pipeline().replace(this, "session", new ClientFrameHandler(session));
        boolean any = !early.isEmpty();
        while (!early.isEmpty()) {
            session.onClientFrame(early.poll());
        }
        if (any) {
            session.onClientReadComplete();
        }
        ctx.channel().config().setAutoRead(true);
    }

    private void onBackendFailed(ChannelHandlerContext ctx, Throwable cause) {
        releaseEarly();
        LOGGER.warn("cannot open backend connection for user={} database={}: {}", parameters.get("user"),
                parameters.get("database"), cause.toString());
        if (cause instanceof BackendErrorException backendError) {
            ErrorResponse error = backendError.error();
            refuse(ctx, ErrorResponse.fatal(error.sqlState(), error.message()));
        } else {
            refuse(ctx, ErrorResponder.fatal(cause));
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof PgFrame frame && !clientGone) {
            early.add(frame);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        clientGone = true;
        releaseEarly();
        ctx.fireChannelInactive();
    }

    private void releaseEarly() {
        while (!early.isEmpty()) {
            early.poll().release();
        }
    }

    private void refuse(ChannelHandlerContext ctx, ErrorResponse error) {
        context.recorder().login(error.sqlState());
        ctx.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
    }
}
