package io.pgroute.proxy.backend;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslHandler;
import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.codec.MessageEncoder;
import io.pgroute.protocol.startup.SSLRequest;
import io.pgroute.proxy.error.PgrouteException;

/**
 * One-shot TLS negotiation towards a backend: sends SSLRequest, reads the one-byte answer and either installs an
 * {@link SslHandler} ('S') or carries on in plaintext ('N', unless TLS is required). Fires {@link #READY} when the
 * startup phase can begin, then removes itself.
 */
final class BackendTlsNegotiator extends ChannelInboundHandlerAdapter {

    /** User event: the transport is ready for the StartupMessage. */
    static final Object READY = new Object() {
        @Override
        public String toString() {
            return "BackendTransportReady";
        }
    };

    private final SslContext sslContext;
    private final BackendTarget target;

    BackendTlsNegotiator(SslContext sslContext, BackendTarget target) {
        this.sslContext = sslContext;
        this.target = target;
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
        ctx.writeAndFlush(MessageEncoder.encode(ctx.alloc(), new SSLRequest()));
        ctx.fireChannelActive();
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        ByteBuf in = (ByteBuf) msg;
        try {
            if (!in.isReadable()) {
                return;
            }
            byte answer = in.readByte();
            if (in.isReadable()) {
                throw new ProtocolException("backend " + target.node() + " sent data after its SSL answer");
            }
            if (answer == 'S') {
                SslHandler ssl = sslContext.newHandler(ctx.alloc(), target.host(), target.port());
                if (target.tls() == BackendTarget.BackendTls.VERIFY_FULL) {
                    // the certificate must name the host: its DNS names, or its IP addresses for an address
                    javax.net.ssl.SSLParameters parameters = ssl.engine().getSSLParameters();
                    parameters.setEndpointIdentificationAlgorithm("HTTPS");
                    ssl.engine().setSSLParameters(parameters);
                }
                io.netty.channel.ChannelPipeline pipeline = ctx.pipeline();
                pipeline.replace(this, "tls", ssl);
                ssl.handshakeFuture().addListener(done -> {
                    if (done.isSuccess()) {
                        pipeline.fireUserEventTriggered(READY);
                    }
                });
            } else if (answer == 'N' && !target.tls().required()) {
                ctx.pipeline().remove(this);
                ctx.pipeline().fireUserEventTriggered(READY);
            } else if (answer == 'N') {
                throw new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH,
                        "backend " + target.node() + " does not support TLS, which proxy.yaml requires");
            } else {
                throw new ProtocolException("backend " + target.node() + " answered SSLRequest with " + answer);
            }
        } finally {
            in.release();
        }
    }
}
