package io.pgroute.proxy.server;

import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.unix.DomainSocketChannel;
import io.netty.handler.ssl.OptionalSslHandler;
import io.pgroute.protocol.codec.MessageEncoder;
import io.pgroute.protocol.codec.PgFrameEncoder;
import io.pgroute.protocol.codec.StartupPacketDecoder;
import io.pgroute.proxy.frontend.ClientStartupHandler;

/**
 * Assembles every client pipeline, with named handlers:
 * <pre>
 *   [directTls] startupDecoder encoder frameEncoder startup exceptions
 * </pre>
 * {@code directTls} (only when TLS is configured) starts TLS when the first byte is a TLS record (PostgreSQL 17
 * direct TLS); the startup handler later swaps {@code startupDecoder} for a frame decoder and itself for the
 * authenticator, then the session handler. TCP and Unix-domain socket clients get the same pipeline, except that
 * TLS is never started on a Unix-domain socket (as PostgreSQL: it answers such a client's SSLRequest with N).
 */
@ChannelHandler.Sharable
final class ClientChannelInitializer extends ChannelInitializer<Channel> {

    private final ProxyContext context;
    private final ExceptionLoggingHandler exceptions = new ExceptionLoggingHandler(true);

    ClientChannelInitializer(ProxyContext context) {
        this.context = context;
    }

    @Override
    protected void initChannel(Channel channel) {
        ChannelPipeline pipeline = channel.pipeline();
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
