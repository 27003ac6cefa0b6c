package io.pgroute.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToMessageEncoder;
import io.pgroute.protocol.PgFrame;
import java.util.List;

/**
 * Writes a relayed {@link PgFrame} as it came, never copied: the frame's own bytes when the decoder kept them
 * ({@link PgFrame#wire()}), else a 5-byte header buffer and the body.
 */
@Sharable
public final class PgFrameEncoder extends MessageToMessageEncoder<PgFrame> {

    public static final PgFrameEncoder INSTANCE = new PgFrameEncoder();

    private PgFrameEncoder() {
    }

    // Frame: Byte1 type, Int32 len = body + 4, Byte[] body
    @Override
    protected void encode(ChannelHandlerContext ctx, PgFrame frame, List<Object> out) {
        ByteBuf wire = frame.wire();
        if (wire != null) {
            out.add(wire.retain());  // as it arrived: one buffer, no new header
            return;
        }
        ByteBuf body = frame.body();
        ByteBuf header = ctx.alloc().buffer(5);
        header.writeByte(frame.type());
        header.writeInt(body.readableBytes() + 4);
        out.add(header);
        out.add(body.retain());
    }
}
