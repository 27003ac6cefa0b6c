package io.pgroute.proxy.backend;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.pgroute.protocol.PgFrame;

/**
 * Turns the Netty events of an established backend connection into {@link BackendListener} calls.
 */
final class BackendRelayHandler extends ChannelInboundHandlerAdapter {

    private final BackendConnection connection;
    private Throwable failure;

    BackendRelayHandler(BackendConnection connection) {
        this.connection = connection;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof PgFrame frame) {
            connection.listener().onBackendFrame(connection, frame);
        } else {
            ReferenceCountUtil.release(msg);
        }
    }

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
        connection.listener().onBackendReadComplete(connection);
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        connection.listener().onBackendWritabilityChanged(connection, ctx.channel().isWritable());
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        connection.onClosed();
        connection.listener().onBackendClosed(connection, failure);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        failure = cause;
        ctx.close();
    }
}
