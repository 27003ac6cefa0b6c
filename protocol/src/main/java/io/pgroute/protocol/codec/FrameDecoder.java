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
 *
 * <p>With {@code dataRowRuns} (a backend's input), consecutive complete DataRow messages already received are
 * framed as one {@linkplain PgFrame#isRun() run}: a large result crosses the pipeline once per read, not per row.
 *
 * <p>With a {@code streamAbove} limit, a message of one of the given types (a backend's DataRow and CopyData, a
 * client's Bind) whose body is longer is not gathered whole: its bytes go on as {@linkplain PgFrame#piece pieces} as
 * they arrive, so memory stays bounded by the limit whatever the size of a value (PostgreSQL's reach 1 GB).
 */
public final class FrameDecoder extends ByteToMessageDecoder {

    private static final int HEADER_LENGTH = 5;

    private static final byte DATA_ROW = 'D';
    private static final long NO_STREAMING = Long.MAX_VALUE;
    /**
     * The body length above which pgroute relays a message of a streamed type in pieces: a connection never holds
     * more than about this much of one such message, whatever its size.
     */
    public static final long STREAM_ABOVE = 1L << 20;
    /**
     * A message relayed in pieces starts with at least this much of it (or all that is left): the names at the start
     * of a Bind can be read from its first piece.
     */
    private static final int FIRST_PIECE = 16 * 1024;

    private long maxFrameBytes;
    private final boolean dataRowRuns;
    /** The message types relayed in pieces (a few: checked by a scan), and the body length above which each is. */
    private byte[] streamedTypes;
    private long[] streamAbove;
    private boolean failed;
    /** The type of the message being relayed in pieces, and how many of its bytes are still to come (0: none). */
    private byte streamedType;
    private long streamRemaining;

    /** @param maxFrameBytes the largest body accepted (the length field minus 4) */
    public FrameDecoder(long maxFrameBytes) {
        this(maxFrameBytes, false);
    }

    /**
     * @param maxFrameBytes the largest body accepted (the length field minus 4)
     * @param dataRowRuns   frame consecutive DataRows as runs (backend input only: 'D' is a frontend type too)
     */
    public FrameDecoder(long maxFrameBytes, boolean dataRowRuns) {
        this(maxFrameBytes, dataRowRuns, NO_STREAMING);
    }

    /**
     * @param maxFrameBytes the largest body accepted (the length field minus 4)
     * @param dataRowRuns   frame consecutive DataRows as runs (backend input only: 'D' is a frontend type too)
     * @param streamAbove   bodies of the {@code streamedTypes} longer than this are relayed in pieces as they arrive
     * @param streamedTypes the message types that may be relayed in pieces (a backend's DataRow and CopyData, a
     *                      client's Bind)
     */
    public FrameDecoder(long maxFrameBytes, boolean dataRowRuns, long streamAbove, byte... streamedTypes) {
        if (maxFrameBytes < 0 || streamAbove < 0) {
            throw new IllegalArgumentException("limits must not be negative: " + maxFrameBytes + ", " + streamAbove);
        }
        this.maxFrameBytes = maxFrameBytes;
        this.dataRowRuns = dataRowRuns;
        this.streamedTypes = streamedTypes.clone();
        this.streamAbove = new long[streamedTypes.length];
        java.util.Arrays.fill(this.streamAbove, streamAbove);
        setCumulator(UNFRAMED_ONLY);
    }

    /**
     * Relays messages of {@code type} whose body is longer than {@code above} in pieces from the next message on (a
     * client's Query past what pgroute reads, once it has logged in), or changes that length for a streamed type.
     */
    public void streamAbove(byte type, long above) {
        if (above < 0) {
            throw new IllegalArgumentException("limit must not be negative: " + above);
        }
        for (int i = 0; i < streamedTypes.length; i++) {
            if (streamedTypes[i] == type) {
                streamAbove[i] = above;
                return;
            }
        }
        streamedTypes = java.util.Arrays.copyOf(streamedTypes, streamedTypes.length + 1);
        streamedTypes[streamedTypes.length - 1] = type;
        streamAbove = java.util.Arrays.copyOf(streamAbove, streamAbove.length + 1);
        streamAbove[streamAbove.length - 1] = above;
    }

    /**
     * Appends a read to the bytes not framed yet. Netty's {@link #MERGE_CUMULATOR} grows its buffer in place when
     * nothing else holds it, keeping the bytes already framed in front: their frames are retained slices, released
     * when the frames are flushed, and that happens after this decoder's clean-up at read-complete, not before it. A
     * stream of messages each longer than a read then grew the buffer by every pass of the event loop (a megabyte a
     * pass behind a batch of 900 kB Binds, to 112 MB). When a read does not fit where the buffer can grow for free,
     * this one copies only the unframed bytes into a new buffer, as Netty does when the buffer is shared.
     */
    private static final Cumulator UNFRAMED_ONLY = (alloc, cumulation, in) -> {
        if (cumulation == in) {
            in.release();  // as Netty's own cumulators: the same buffer handed in twice
            return cumulation;
        }
        try {
            if (!cumulation.isReadable() && in.isContiguous()) {
                cumulation.release();
                return in.retain();
            }
            int required = in.readableBytes();
            if (required <= cumulation.maxFastWritableBytes() && !cumulation.isReadOnly()) {
                cumulation.writeBytes(in, in.readerIndex(), required);
                return cumulation;
            }
            int unframed = cumulation.readableBytes();
            ByteBuf result = alloc.buffer(alloc.calculateNewCapacity(unframed + required, Integer.MAX_VALUE));
            try {
                result.writeBytes(cumulation, cumulation.readerIndex(), unframed).writeBytes(in, in.readerIndex(),
                        required);
            } catch (RuntimeException e) {
                result.release();
                throw e;
            }
            cumulation.release();
            return result;
        } finally {
            in.release();
        }
    };

    /**
     * Changes the largest body accepted from the next frame on (pgroute accepts small messages until a client has
     * authenticated, then its configured limit).
     */
    public void maxFrameBytes(long maxFrameBytes) {
        if (maxFrameBytes < 0) {
            throw new IllegalArgumentException("maxFrameBytes must not be negative: " + maxFrameBytes);
        }
        this.maxFrameBytes = maxFrameBytes;
    }

    /** The body length above which a {@code type} message is relayed in pieces ({@link #NO_STREAMING}: never). */
    private long streamedAbove(byte type) {
        for (int i = 0; i < streamedTypes.length; i++) {
            if (streamedTypes[i] == type) {
                return streamAbove[i];
            }
        }
        return NO_STREAMING;
    }

    // Frame: Byte1 type, Int32 len (self-inclusive, >= 4), Byte[len - 4] body
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (streamRemaining > 0) {
            if (!in.isReadable()) {
                return;
            }
            int bytes = (int) Math.min(streamRemaining, in.readableBytes());
            streamRemaining -= bytes;
            out.add(PgFrame.piece(streamedType, in.readRetainedSlice(bytes), false, streamRemaining == 0));
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
        byte type = in.getByte(start);
        if (in.readableBytes() < 1 + length) {
            long above = streamedAbove(type);
            if (length - 4L > above) {
                int bytes = in.readableBytes();
                if (bytes < Math.min(FIRST_PIECE, above)) {
                    return;  // a first piece is at least that long (the message is longer)
                }
                streamedType = type;
                streamRemaining = 1L + length - bytes;
                out.add(PgFrame.piece(type, in.readRetainedSlice(bytes), true, false));
            }
            return;
        }
        if (dataRowRuns && type == DATA_ROW) {
            int end = start + 1 + length;
            int frames = 1;
            int limit = in.writerIndex();
            while (limit - end >= HEADER_LENGTH && in.getByte(end) == DATA_ROW) {
                int next = in.getInt(end + 1);
                if (next < 4 || next - 4L > maxFrameBytes || limit - end < 1 + next) {
                    break;  // incomplete, or bad: framed (and rejected) on its own by the next call
                }
                end += 1 + next;
                frames++;
            }
            if (frames > 1) {
                out.add(PgFrame.dataRowRun(in.readRetainedSlice(end - start), frames));
                return;
            }
        }
        ByteBuf wire = in.readRetainedSlice(1 + length);
        out.add(new PgFrame(type, wire.slice(HEADER_LENGTH, length - 4), wire));
    }
}
