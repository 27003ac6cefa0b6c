package io.pgroute.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.pgroute.protocol.PgFrame;
import java.util.List;

/**
 * Writes a relayed {@link PgFrame} as it came: a 5-byte header buffer and the body itself, never copied.
 */
@Sharable
public final class PgFrameEncoder extends MessageToMessageEncoder<PgFrame> {

    public static final PgFrameEncoder INSTANCE = new PgFrameEncoder();

    private PgFrameEncoder() {
    }

    // Frame: Byte1 type, Int32 len = body + 4, Byte[] body
    @Override
    protected void encode(ChannelHandlerContext ctx, PgFrame frame, List<Object> out) {
        ByteBuf body = frame.body();
        ByteBuf header = ctx.alloc().buffer(5);
        header.writeByte(frame.type());
        header.writeInt(body.readableBytes() + 4);
        out.add(header);
        out.add(body.retain());
    }
}
