package io.pgroute.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.ReferenceCountUtil;
import io.pgroute.protocol.PgFrame;

/**
 * Everything a session sends its client goes through here, in order. Relayed frames that still hold the bytes
 * they arrived in are gathered and written as one message when something else must be written or the session
 * flushes: a 200k-row result then crosses the client's pipeline a burst at a time, not a row at a time. Small
 * frames (a RowDescription, a CommandComplete, a ReadyForQuery…) are copied into one buffer, which is cheaper than
 * a composite's bookkeeping and goes out with one plain send; large ones (DataRow runs) join a composite buffer
 * without a copy. Confined to the session's event loop.
 */
final class ClientWriter {

    /** More components than this and a batch is written before the next frame is added. */
    private static final int MAX_COMPONENTS = 1024;
    /** Frames up to this size are copied into {@link #small}; larger ones are added to {@link #batch} as they are. */
    private static final int COPY_LIMIT = 512;
    /** A {@link #small} buffer this full becomes a component of the batch, and a new one starts. */
    private static final int SMALL_LIMIT = 16 * 1024;

    private final Channel client;
    /** Large frames (and full small buffers) gathered so far, in order; null when none. */
    private CompositeByteBuf batch;
    /** Copies of the small frames that came after everything in {@link #batch}; null when none. */
    private ByteBuf small;
    /** The client has part of a message relayed in {@linkplain PgFrame#isPiece() pieces}, not its end. */
    private boolean midMessage;

    ClientWriter(Channel client) {
        this.client = client;
    }

    /** Writes {@code message} (a frame, a protocol message or a buffer; ownership passes) after what came before. */
    void write(Object message) {
        if (message instanceof PgFrame frame) {
            midMessage = !frame.endsMessage();
            ByteBuf wire = frame.wire();
            if (wire != null) {
                if (wire.readableBytes() <= COPY_LIMIT) {
                    if (small == null) {
                        small = client.alloc().directBuffer(1024);
                    }
                    small.writeBytes(wire, wire.readerIndex(), wire.readableBytes());
                    frame.release();
                    if (small.readableBytes() >= SMALL_LIMIT) {
                        addToBatch(small);
                        small = null;
                    }
                    return;
                }
                if (small != null) {
                    addToBatch(small);
                    small = null;
                }
                addToBatch(wire.retain());
                frame.release();
                return;
            }
        }
        writeBatch();
        client.write(message, client.voidPromise());
    }

    /** Appends {@code buffer} (ownership passes) to the batch, writing a full batch first. */
    private void addToBatch(ByteBuf buffer) {
        if (batch == null) {
            batch = client.alloc().compositeDirectBuffer(MAX_COMPONENTS);
        } else if (batch.numComponents() >= MAX_COMPONENTS) {
            writeBatch();
            batch = client.alloc().compositeDirectBuffer(MAX_COMPONENTS);
        }
        batch.addComponent(true, buffer);
    }

    /** Writes what is gathered and flushes the channel. */
    void flush() {
        writeBatch();
        client.flush();
    }

    /**
     * Writes what is gathered, then {@code last}, flushes and closes the channel. In the middle of a message relayed
     * in pieces (its server went away) {@code last} is dropped: the client would read it as part of that message.
     */
    void writeAndClose(Object last) {
        writeBatch();
        if (midMessage) {
            ReferenceCountUtil.release(last);
            client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        client.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    private void writeBatch() {
        CompositeByteBuf pending = batch;
        ByteBuf copies = small;
        batch = null;
        small = null;
        if (pending != null) {
            if (copies != null) {
                pending.addComponent(true, copies);
            }
            client.write(pending, client.voidPromise());
        } else if (copies != null) {
            client.write(copies, client.voidPromise());
        }
    }
}
