package io.pgroute.proxy.server;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.pgroute.proxy.error.ErrorResponder;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;

/**
 * Last handler of every client pipeline: logs what nobody handled, tells the client with a FATAL ErrorResponse
 * (never a stack trace) and closes after flushing. Also releases any message that reached the end of the pipeline.
 */
@ChannelHandler.Sharable
public final class ExceptionLoggingHandler extends ChannelInboundHandlerAdapter {

    private static final Logger LOGGER = LoggerFactory.getLogger(ExceptionLoggingHandler.class);

    private final boolean answerClient;

    /** @param answerClient true on client pipelines (send an ErrorResponse), false on backend pipelines */
    public ExceptionLoggingHandler(boolean answerClient) {
        this.answerClient = answerClient;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        LOGGER.debug("unexpected message at the end of the pipeline channel={} type={}", ctx.channel().id(),
                msg.getClass().getSimpleName());
        ReferenceCountUtil.release(msg);
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        if (cause instanceof IOException
                || cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() instanceof IOException) {
            // a connection error, or a failed TLS handshake (SslHandler wraps it; logged where the handshake ends):
            // nothing to tell the client over a connection without working TLS
            LOGGER.debug("connection error channel={}: {}", ctx.channel().id(), cause.toString());
            ctx.close();
            return;
        }
        LOGGER.warn("closing channel={} after unhandled error: {}", ctx.channel().id(), cause.toString(), cause);
        if (answerClient && ctx.channel().isActive()) {
            ctx.writeAndFlush(ErrorResponder.fatal(cause)).addListener(ChannelFutureListener.CLOSE);
        } else {
            ctx.close();
        }
    }
}
