package io.pgroute.proxy.admin;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.pgroute.config.UserConfig;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.backend.AuthenticationOk;
import io.pgroute.protocol.backend.BackendKeyData;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.backend.ParameterStatus;
import io.pgroute.protocol.backend.ReadyForQuery;
import io.pgroute.proxy.logging.ClientAddress;
import io.pgroute.proxy.server.ProxyContext;
import io.pgroute.proxy.session.CancelRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Opens the admin console for an authenticated client that asked for the virtual database {@value #DATABASE}:
 * users with {@code admin: true} get AuthenticationOk, the parameters a PostgreSQL server reports, a (never
 * registered) BackendKeyData and ReadyForQuery, and their connection is handed to an {@link AdminSession}; no
 * backend connection is made. Everybody else gets FATAL 42501.
 */
public final class AdminStartup {

    /** The database name that opens the console. */
    public static final String DATABASE = "pgroute";
    /** What the console reports as server_version; clients parse the leading number. */
    static final String SERVER_VERSION = "17.0 (pgroute admin console)";

    private static final Logger LOGGER = LoggerFactory.getLogger(AdminStartup.class);

    private AdminStartup() {
    }

    /**
     * Answers the client and replaces the handler of {@code ctx} (the session starter) with the console's; call
     * on the client's event loop right after authentication.
     */
    public static void start(ChannelHandlerContext ctx, ProxyContext context, Map<String, String> parameters,
                             int protocolMinor) {
        String user = parameters.get("user");
        boolean admin = context.config().user(user).map(UserConfig::admin).orElse(false);
        if (!admin) {
            LOGGER.info("refusing admin console to user={} address={}: not an admin user", user,
                    ClientAddress.of(ctx.channel()));
            context.recorder().login(SqlState.INSUFFICIENT_PRIVILEGE);
            ctx.writeAndFlush(ErrorResponse.fatal(SqlState.INSUFFICIENT_PRIVILEGE,
                    "permission denied to open the pgroute admin console").withHint(
                    "only users with admin: true in proxy.yaml may connect to database \"" + DATABASE + "\""))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        String label = "user=" + user + " address=" + ClientAddress.of(ctx.channel());
        LOGGER.info("admin console opened {}", label);
        context.recorder().login(null);
        CancelRegistry.Key key = context.cancelKeys().mint(protocolMinor >= 2 ? 32 : 4);
        ctx.write(AuthenticationOk.INSTANCE);
        parameters(user, parameters).forEach((name, value) -> ctx.write(new ParameterStatus(name, value)));
        ctx.write(new BackendKeyData(key.processId(), key.secret()));
        ctx.writeAndFlush(ReadyForQuery.IDLE);
        AdminSession session = new AdminSession(ctx.channel(), AdminCommands.of(context, user), label);
        ctx.pipeline().replace(ctx.handler(), "admin", new AdminFrameHandler(session));
    }

    /** What a PostgreSQL server reports at startup, with the client's application_name echoed. */
    static Map<String, String> parameters(String user, Map<String, String> startup) {
        Map<String, String> result = new LinkedHashMap<>();
        result.put("server_version", SERVER_VERSION);
        result.put("server_encoding", "UTF8");
        result.put("client_encoding", "UTF8");
        result.put("DateStyle", "ISO, MDY");
        result.put("IntervalStyle", "postgres");
        result.put("integer_datetimes", "on");
        result.put("standard_conforming_strings", "on");
        result.put("TimeZone", "UTC");
        result.put("is_superuser", "off");
        result.put("session_authorization", user);
        result.put("application_name", startup.getOrDefault("application_name", ""));
        return result;
    }
}
