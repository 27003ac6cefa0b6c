package io.pgroute.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.ProtocolException;
import java.util.List;

/**
 * Frames typed messages (either direction) into {@link PgFrame}s whose bodies are retained slices of the input:
 * nothing is copied or decoded here. After a bad length it discards all further input, so the handler that sees the
 * {@link ProtocolException} can answer and close.
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    private static final int HEADER_LENGTH = 5;

    private final long maxFrameBytes;
    private boolean failed;

    /** @param maxFrameBytes the largest body accepted (the length field minus 4) */
    public FrameDecoder(long maxFrameBytes) {
        if (maxFrameBytes < 0) {
            throw new IllegalArgumentException("maxFrameBytes must not be negative: " + maxFrameBytes);
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    // Frame: Byte1 type, Int32 len (self-inclusive, >= 4), Byte[len - 4] body
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < HEADER_LENGTH) {
            return;
        }
        int start = in.readerIndex();
        int length = in.getInt(start + 1);
        if (length < 4 || length - 4L > maxFrameBytes) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw new ProtocolException("invalid message length");
        }
        if (in.readableBytes() < 1 + length) {
            return;
        }
        byte type = in.getByte(start);
        ByteBuf wire = in.readRetainedSlice(1 + length);
        out.add(new PgFrame(type, wire.slice(HEADER_LENGTH, length - 4), wire));
    }
}
