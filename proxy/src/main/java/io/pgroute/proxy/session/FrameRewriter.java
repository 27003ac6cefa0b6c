package io.pgroute.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.CompositeByteBuf;
import io.pgroute.protocol.PgFrame;

import java.nio.charset.StandardCharsets;

/**
 * Renames the statement a frame refers to without re-encoding the rest: the new body is the bytes before the name,
 * the new name, and a retained slice of everything after it (parameter values are never copied). The first piece of
 * a message relayed in pieces becomes a first piece with the message's length changed by the change of the name.
 */
final class FrameRewriter {

    /** A new body up to this long is one buffer, not a composite with a slice: most Binds, small enough to copy. */
    private static final int COPY_LIMIT = 256;

    private FrameRewriter() {
    }

    /**
     * Replaces the C string that starts after {@code skipStrings} C strings (and {@code skipBytes} leading bytes).
     * Takes ownership of {@code frame}; the result is a new frame the caller owns.
     */
    static PgFrame replaceCString(ByteBufAllocator alloc, PgFrame frame, int skipBytes, int skipStrings,
                                  String replacement) {
        ByteBuf body = frame.body();
        int start = body.readerIndex();
        int position = start + skipBytes;
        for (int i = 0; i < skipStrings; i++) {
            position = body.indexOf(position, body.writerIndex(), (byte) 0) + 1;
        }
        int end = body.indexOf(position, body.writerIndex(), (byte) 0);
        byte[] name = replacement.getBytes(StandardCharsets.UTF_8);
        int headLength = position - start + name.length + 1;
        int rest = body.writerIndex() - end - 1;
        boolean oneBuffer = !frame.isPiece() && headLength + rest <= COPY_LIMIT;
        ByteBuf head = alloc.buffer(oneBuffer ? headLength + rest : headLength);
        head.writeBytes(body, start, position - start).writeBytes(name).writeByte(0);
        byte type = frame.type();
        if (frame.isPiece()) {
            ByteBuf wire = frame.wire();
            int length = wire.getInt(wire.readerIndex() + 1) + name.length - (end - position);
            CompositeByteBuf result = alloc.compositeBuffer(3);
            result.addComponent(true, alloc.buffer(5).writeByte(type).writeInt(length));
            result.addComponent(true, head);
            result.addComponent(true, body.retainedSlice(end + 1, rest));
            frame.release();
            return PgFrame.piece(type, result, true, false);
        }
        if (oneBuffer) {  // copied again into the batch: one buffer, no composite
            head.writeBytes(body, end + 1, rest);
            frame.release();
            return new PgFrame(type, head);
        }
        CompositeByteBuf result = alloc.compositeBuffer(2);
        result.addComponent(true, head);
        result.addComponent(true, body.retainedSlice(end + 1, rest));
        frame.release();
        return new PgFrame(type, result);
    }
}
