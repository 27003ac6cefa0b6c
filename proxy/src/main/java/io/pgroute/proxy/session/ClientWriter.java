package io.pgroute.proxy.session;

import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.util.ReferenceCountUtil;
import io.pgroute.protocol.BackendMessage;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.codec.FrameBatch;

/**
 * Everything a session sends its client goes through here, in order. Relayed frames are gathered in a
 * {@link FrameBatch} and written as one buffer when something else must be written or the session flushes: a
 * 200k-row result then crosses the client's pipeline a burst at a time, not a row at a time. Confined to the
 * session's event loop.
 */
final class ClientWriter {

    private final Channel client;
    private final FrameBatch batch;
    /** The client has part of a message relayed in {@linkplain PgFrame#isPiece() pieces}, not its end. */
    private boolean midMessage;

    ClientWriter(Channel client) {
        this.client = client;
        this.batch = new FrameBatch(client);
    }

    /**
     * Writes {@code message} (a frame, a protocol message or a buffer; ownership passes) after what came before.
     * Frames and protocol messages are gathered into the next write; a buffer goes out on its own.
     */
    void write(Object message) {
        if (message instanceof PgFrame frame) {
            boolean ends = frame.endsMessage();
            if (batch.add(frame)) {
                midMessage = !ends;
                return;
            }
            midMessage = !ends;
        } else if (message instanceof BackendMessage) {
            batch.addMessage(message);
            return;
        }
        batch.write();
        client.write(message, client.voidPromise());
    }

    /** Writes a copy of {@code messages} (complete protocol messages) after what came before. */
    void writeCopy(byte[] messages) {
        batch.addCopy(messages);
    }

    /** How many bytes are gathered for the next write. */
    long gatheredBytes() {
        return batch.readableBytes();
    }

    /** Writes what is gathered and flushes the channel. */
    void flush() {
        batch.write();
        client.flush();
    }

    /**
     * Writes what is gathered, then {@code last}, flushes and closes the channel. In the middle of a message relayed
     * in pieces (its server went away) {@code last} is dropped: the client would read it as part of that message.
     */
    void writeAndClose(Object last) {
        batch.write();
        if (midMessage) {
            ReferenceCountUtil.release(last);
            client.writeAndFlush(Unpooled.EMPTY_BUFFER).addListener(ChannelFutureListener.CLOSE);
            return;
        }
        client.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }
}
