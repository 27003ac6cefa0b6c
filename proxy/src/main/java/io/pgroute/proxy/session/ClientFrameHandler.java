package io.pgroute.proxy.session;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.pgroute.protocol.PgFrame;
import io.pgroute.proxy.error.ErrorResponder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Turns the Netty events of an authenticated client connection into {@link ClientSession} calls.
 */
public final class ClientFrameHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOGGER = LoggerFactory.getLogger(ClientFrameHandler.class);

    private final ClientSession session;

    public ClientFrameHandler(ClientSession session) {
        this.session = session;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof PgFrame frame) {
            session.onClientFrame(frame);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        session.onClientReadComplete();
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        session.onClientWritabilityChanged(ctx.channel().isWritable());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        session.onClientClosed();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException) {
            LOGGER.debug("client connection error session={}: {}", session.id(), cause.toString());
            session.onClientClosed();
            return;
        }
        LOGGER.info("closing session={} after client error: {}", session.id(), cause.getMessage());
        session.onClientProtocolError(ErrorResponder.fatal(cause));
    }
}
