package io.pgroute.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.ChannelHandler.Sharable;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.MessageToByteEncoder;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.FrontendMessage;
import io.pgroute.protocol.startup.StartupPacket;

/**
 * Writes typed records ({@link FrontendMessage}, {@link BackendMessage}, {@link StartupPacket}) to bytes: the type
 * byte (none for startup packets), an Int32 length placeholder, the body, then the length back-patched. The only
 * place that writes type bytes and lengths. Other messages (such as {@code PgFrame}) pass through untouched.
 */
@Sharable
public final class MessageEncoder extends MessageToByteEncoder<Object> {

    public static final MessageEncoder INSTANCE = new MessageEncoder();

    private MessageEncoder() {
    }

    @Override
    public boolean acceptOutboundMessage(Object msg) {
        return msg instanceof FrontendMessage || msg instanceof BackendMessage || msg instanceof StartupPacket;
    }

    @Override
    protected void encode(ChannelHandlerContext ctx, Object msg, ByteBuf out) {
        encodeInto(msg, out);
    }

    /** Encodes {@code message} into a new buffer from {@code alloc}; the caller owns the result. */
    public static ByteBuf encode(ByteBufAllocator alloc, Object message) {
        ByteBuf result = alloc.buffer();
        try {
            encodeInto(message, result);
            return result;
        } catch (RuntimeException e) {
            result.release();
            throw e;
        }
    }

    /** Appends {@code message}, with type byte and length, to {@code out}. */
    public static void encodeInto(Object message, ByteBuf out) {
        if (message instanceof FrontendMessage frontend) {
            out.writeByte(frontend.type().code());
            int lengthIndex = reserveLength(out);
            frontend.encodeBody(out);
            patchLength(out, lengthIndex);
        } else if (message instanceof BackendMessage backend) {
            out.writeByte(backend.type().code());
            int lengthIndex = reserveLength(out);
            backend.encodeBody(out);
            patchLength(out, lengthIndex);
        } else if (message instanceof StartupPacket startup) {
            int lengthIndex = reserveLength(out);
            startup.encodeBody(out);
            patchLength(out, lengthIndex);
        } else {
            throw new IllegalArgumentException("not a protocol message: " + message.getClass().getName());
        }
    }

    private static int reserveLength(ByteBuf out) {
        int result = out.writerIndex();
        out.writeInt(0);
        return result;
    }

    private static void patchLength(ByteBuf out, int lengthIndex) {
        out.setInt(lengthIndex, out.writerIndex() - lengthIndex);
    }
}
