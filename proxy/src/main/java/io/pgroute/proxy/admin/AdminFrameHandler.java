package io.pgroute.proxy.admin;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.pgroute.protocol.PgFrame;
import io.pgroute.proxy.error.ErrorResponder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Turns the Netty events of an admin console connection into {@link AdminSession} calls.
 */
final class AdminFrameHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOGGER = LoggerFactory.getLogger(AdminFrameHandler.class);

    private final AdminSession session;

    AdminFrameHandler(AdminSession session) {
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
    public void channelInactive(ChannelHandlerContext ctx) {
        session.onClientClosed();
        ctx.fireChannelInactive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        session.onClientClosed();
        if (cause instanceof IOException) {
            LOGGER.debug("admin console connection error: {}", cause.toString());
            ctx.close();
            return;
        }
        LOGGER.info("closing admin console after error: {}", cause.toString());
        ctx.writeAndFlush(ErrorResponder.fatal(cause)).addListener(io.netty.channel.ChannelFutureListener.CLOSE);
    }
}
