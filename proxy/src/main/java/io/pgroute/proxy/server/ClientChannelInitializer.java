package io.pgroute.proxy.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.handler.ssl.OptionalSslHandler;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.codec.MessageEncoder;
import io.pgroute.protocol.codec.PgFrameEncoder;
import io.pgroute.protocol.codec.StartupPacketDecoder;
import io.pgroute.proxy.frontend.ClientStartupHandler;
import io.pgroute.proxy.logging.ClientAddress;
import io.pgroute.proxy.logging.RateLimitedWarning;
import org.slf4j.LoggerFactory;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Assembles every client pipeline, with named handlers:
 * <pre>
 *   [directTls] startupDecoder encoder frameEncoder startup exceptions
 * </pre>
 * {@code directTls} (only when TLS is configured) starts TLS when the first byte is a TLS record (PostgreSQL 17
 * direct TLS); the startup handler later swaps {@code startupDecoder} for a frame decoder and itself for the
 * authenticator, then the session handler. TCP and Unix-domain socket clients get the same pipeline, except that
 * TLS is never started on a Unix-domain socket (as PostgreSQL: it answers such a client's SSLRequest with N).
 *
 * <p>Client connections open at once, logged in or not, are capped at {@code limits.max_clients} plus
 * {@code limits.reserved_connections}: one beyond that is answered FATAL 53300 at once and closed, as PgBouncer
 * does beyond its {@code max_client_conn}. Connections that never log in (a flood of idle sockets) are closed by
 * {@code limits.login_timeout}, but until then they would hold file descriptors needed by everyone else. The reserve
 * keeps room for logins that {@link io.pgroute.proxy.frontend.SessionStarter} refuses with the same error, and for
 * the admin console, which {@code max_clients} does not count.
 */
@ChannelHandler.Sharable
final class ClientChannelInitializer extends ChannelInitializer<Channel> {

    private final ProxyContext context;
    private final ExceptionLoggingHandler exceptions = new ExceptionLoggingHandler(true);
    /** Client connections open now, over TCP and the Unix-domain socket, logged in or not. */
    private final AtomicInteger open = new AtomicInteger();
    /** Counts a connection out when it closes: one listener for all of them. */
    private final io.netty.channel.ChannelFutureListener closed = future -> open.decrementAndGet();
    private final RateLimitedWarning refusals = new RateLimitedWarning(
            LoggerFactory.getLogger(ClientChannelInitializer.class), Duration.ofSeconds(10), System::nanoTime);

    ClientChannelInitializer(ProxyContext context) {
        this.context = context;
    }

    @Override
    protected void initChannel(Channel channel) {
        ChannelPipeline pipeline = channel.pipeline();
        int now = open.incrementAndGet();
        channel.closeFuture().addListener(closed);
        long limit = context.config().limits().maxConnections();
        if (now > limit) {
            refusals.warn("refusing connection from " + ClientAddress.of(channel) + ": " + limit
                    + " client connections open, logged in or not (limits.max_clients + limits.reserved_connections)");
            channel.config().setAutoRead(false);
            pipeline.addLast("encoder", MessageEncoder.INSTANCE);
            pipeline.addLast("frameEncoder", PgFrameEncoder.INSTANCE);
            channel.writeAndFlush(ErrorResponse.fatal(SqlState.TOO_MANY_CONNECTIONS, "sorry, too many clients already"))
                    .addListener(ChannelFutureListener.CLOSE);
            return;
        }
        if (context.tlsEnabled() && !(channel instanceof DomainSocketChannel)) {
            pipeline.addLast("directTls", new OptionalSslHandler(context.sslContext()));
        }
        pipeline.addLast("startupDecoder", new StartupPacketDecoder());
        pipeline.addLast("encoder", MessageEncoder.INSTANCE);
        pipeline.addLast("frameEncoder", PgFrameEncoder.INSTANCE);
        pipeline.addLast("startup", new ClientStartupHandler(context));
        pipeline.addLast("exceptions", exceptions);
    }
}
