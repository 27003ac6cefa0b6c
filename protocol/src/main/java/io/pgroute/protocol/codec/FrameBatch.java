package io.pgroute.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.pgroute.protocol.PgFrame;

/**
 * Relayed frames gathered for one write to a channel, so that a burst of messages crosses the pipeline and the
 * socket once instead of once per message: five extended-protocol messages to a server, or a RowDescription, its
 * rows, CommandComplete and ReadyForQuery to a client.
 *
 * <p>Small frames are copied into one buffer, cheaper than a composite's bookkeeping and sent with one plain send; a
 * lone small frame is written as it came, uncopied, and so are small frames that follow it in the same memory (the
 * messages of one read, framed one after the other: CommandComplete and ReadyForQuery) while nothing else came
 * between them: they become one slice of that memory. Large ones (DataRow runs, pieces of a big message) join a
 * composite buffer without a copy. The gathered bytes are written past the pipeline's encoders (they are bytes
 * already): from the context of {@link MessageEncoder} when the pipeline has it, so TLS, nearer the socket, still
 * sees them. Confined to the channel's event loop.
 */
public final class FrameBatch {

    /** More components than this and the batch is written before the next frame is added. */
    private static final int MAX_COMPONENTS = 1024;
    /** Frames up to this size are copied into {@link #small}; larger ones join {@link #composite} as they are. */
    private static final int COPY_LIMIT = 512;
    /** A {@link #small} buffer this full becomes a component of the composite, and a new one starts. */
    private static final int SMALL_LIMIT = 16 * 1024;

    private final Channel channel;
    /** Where gathered bytes enter the pipeline; null: the channel's tail (no {@link MessageEncoder} in it). */
    private ChannelHandlerContext entry;
    private boolean entryLooked;
    /** Large frames (and full small buffers) gathered so far, in order; null when none. */
    private CompositeByteBuf composite;
    /** Copies of the small frames that came after everything in {@link #composite}; null when none. */
    private ByteBuf small;
    /**
     * Small frames' bytes not copied yet, one frame or several that lay one after the other in the same memory: the
     * only thing after {@link #composite} so far; null when none.
     */
    private ByteBuf lone;
    /**
     * How many bytes of small frames follow {@link #lone} in the same memory, joined to it: released as they came
     * ({@link #lone} keeps that memory), written as one slice with it.
     */
    private int loneJoined;

    public FrameBatch(Channel channel) {
        this.channel = channel;
    }

    /**
     * Gathers {@code frame} (ownership passes) and returns true, or returns false and takes nothing when the frame
     * must go through the encoders: a large frame whose bytes as they arrived are not known (its body was
     * rewritten). The caller then {@linkplain #write() writes} the batch, then the frame.
     */
    public boolean add(PgFrame frame) {
        ByteBuf wire = frame.wire();
        if (wire != null) {
            addBytes(wire.retain());
            frame.release();
            return true;
        }
        ByteBuf body = frame.body();
        if (body.readableBytes() > COPY_LIMIT - 5) {
            return false;
        }
        ByteBuf copies = smallBuffer();
        copies.writeByte(frame.type());
        copies.writeInt(body.readableBytes() + 4);
        copies.writeBytes(body, body.readerIndex(), body.readableBytes());
        frame.release();
        afterSmallCopy();
        return true;
    }

    /** Gathers {@code bytes}, whole protocol messages or pieces of them (ownership passes). */
    public void addBytes(ByteBuf bytes) {
        if (bytes.readableBytes() > COPY_LIMIT) {
            settleSmall();
            addComponent(bytes);
            return;
        }
        if (lone == null && small == null) {
            lone = bytes;
            return;
        }
        if (small == null && joinLone(bytes)) {
            return;
        }
        ByteBuf copies = smallBuffer();
        copies.writeBytes(bytes, bytes.readerIndex(), bytes.readableBytes());
        bytes.release();
        afterSmallCopy();
    }

    /**
     * Gathers a copy of {@code messages}, complete protocol messages (a stored answer). A channel writes only direct
     * memory: the copy is the one a heap buffer would get on its way to the socket, and a small one joins the other
     * small frames, so the answer and what follows it leave in one send.
     */
    public void addCopy(byte[] messages) {
        if (messages.length > COPY_LIMIT) {
            settleSmall();
            addComponent(channel.alloc().directBuffer(messages.length).writeBytes(messages));
            return;
        }
        smallBuffer().writeBytes(messages);
        afterSmallCopy();
    }

    /** Gathers {@code message}, a protocol record ({@link MessageEncoder} encodes it here). */
    public void addMessage(Object message) {
        ByteBuf copies = smallBuffer();
        int before = copies.writerIndex();
        try {
            MessageEncoder.encodeInto(message, copies);
        } catch (RuntimeException e) {
            copies.writerIndex(before);  // no part of a message the encoder gave up on
            throw e;
        }
        afterSmallCopy();
    }

    /** How many bytes are gathered. */
    public long readableBytes() {
        return (composite == null ? 0L : composite.readableBytes()) + (small == null ? 0 : small.readableBytes())
                + (lone == null ? 0 : lone.readableBytes() + loneJoined);
    }

    /** Whether nothing is gathered. */
    public boolean isEmpty() {
        return composite == null && small == null && lone == null;
    }

    /** Writes what is gathered to the channel, without flushing it. */
    public void write() {
        if (composite != null) {
            // through addComponent: a composite beyond its component limit would copy them all into one buffer
            settleSmall();
            CompositeByteBuf pending = composite;
            composite = null;
            writeOut(pending);
        } else if (small != null) {
            ByteBuf copies = small;
            small = null;
            writeOut(copies);
        } else if (lone != null) {
            writeOut(takeLone());
        }
    }

    /** Drops what is gathered (the channel is closing). */
    public void discard() {
        for (ByteBuf each : new ByteBuf[] {composite, small, lone}) {
            if (each != null) {
                each.release();
            }
        }
        composite = null;
        small = null;
        lone = null;
        loneJoined = 0;
    }

    private void writeOut(ByteBuf bytes) {
        if (!entryLooked) {
            entry = channel.pipeline().context(MessageEncoder.class);
            entryLooked = true;
        }
        if (entry != null && !entry.isRemoved()) {
            entry.write(bytes, entry.voidPromise());
        } else {
            channel.write(bytes, channel.voidPromise());
        }
    }

    /**
     * Joins {@code bytes} (ownership passes) to {@link #lone} when they start where it ends, in the same buffer: no
     * copy and no new buffer for the messages of one read. False, and nothing taken, when they do not.
     */
    private boolean joinLone(ByteBuf bytes) {
        ByteBuf root = lone.unwrap();
        if (root == null || bytes.unwrap() != root || !root.hasMemoryAddress() || !lone.hasMemoryAddress()
                || !bytes.hasMemoryAddress()) {
            return false;
        }
        int length = bytes.readableBytes();
        if (lone.memoryAddress() + lone.readerIndex() + lone.readableBytes() + loneJoined
                != bytes.memoryAddress() + bytes.readerIndex() || loneJoined > Integer.MAX_VALUE - length) {
            return false;
        }
        bytes.release();
        loneJoined += length;
        return true;
    }

    /** {@link #lone} and what is joined to it, as one buffer (ownership passes); {@link #lone} is then null. */
    private ByteBuf takeLone() {
        ByteBuf result = lone;
        lone = null;
        if (loneJoined > 0) {
            ByteBuf root = result.unwrap();
            long start = result.memoryAddress() + result.readerIndex();
            ByteBuf run = root.retainedSlice((int) (start - root.memoryAddress()), result.readableBytes() + loneJoined);
            result.release();
            loneJoined = 0;
            result = run;
        }
        return result;
    }

    /** The buffer small frames are copied into, the uncopied lone frame copied in first. */
    private ByteBuf smallBuffer() {
        if (small == null) {
            small = channel.alloc().directBuffer(1024);
        }
        if (lone != null) {
            ByteBuf run = takeLone();
            small.writeBytes(run, run.readerIndex(), run.readableBytes());
            run.release();
        }
        return small;
    }

    private void afterSmallCopy() {
        if (small.readableBytes() >= SMALL_LIMIT) {
            addComponent(small);
            small = null;
        }
    }

    /** Moves the lone frame and the small copies, in that order, into the composite: a large frame comes next. */
    private void settleSmall() {
        if (lone != null) {
            addComponent(takeLone());
        }
        if (small != null) {
            addComponent(small);
            small = null;
        }
    }

    private void addComponent(ByteBuf buffer) {
        if (composite == null) {
            composite = channel.alloc().compositeDirectBuffer(MAX_COMPONENTS);
        } else if (composite.numComponents() >= MAX_COMPONENTS) {
            CompositeByteBuf full = composite;
            composite = channel.alloc().compositeDirectBuffer(MAX_COMPONENTS);
            writeOut(full);
        }
        composite.addComponent(true, buffer);
    }
}
