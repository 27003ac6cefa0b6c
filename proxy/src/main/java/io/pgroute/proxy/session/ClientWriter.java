package io.pgroute.proxy.session;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.CompositeByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.pgroute.protocol.PgFrame;

/**
 * Everything a session sends its client goes through here, in order. Relayed frames that still hold the bytes
 * they arrived in are gathered into one composite buffer (no copy) and written as one message when something else
 * must be written or the session flushes: a 200k-row result then crosses the client's pipeline a burst at a time,
 * not a row at a time. Confined to the session's event loop.
 */
final class ClientWriter {

    /** More components than this and a batch is written before the next frame is added. */
    private static final int MAX_COMPONENTS = 1024;

    private final Channel client;
    private CompositeByteBuf batch;

    ClientWriter(Channel client) {
        this.client = client;
    }

    /** Writes {@code message} (a frame, a protocol message or a buffer; ownership passes) after what came before. */
    void write(Object message) {
        if (message instanceof PgFrame frame) {
            ByteBuf wire = frame.wire();
            if (wire != null) {
                if (batch == null) {
                    batch = client.alloc().compositeDirectBuffer(MAX_COMPONENTS);
                } else if (batch.numComponents() >= MAX_COMPONENTS) {
                    writeBatch();
                    batch = client.alloc().compositeDirectBuffer(MAX_COMPONENTS);
                }
                batch.addComponent(true, wire.retain());
                frame.release();
                return;
            }
        }
        writeBatch();
        client.write(message, client.voidPromise());
    }

    /** Writes what is gathered and flushes the channel. */
    void flush() {
        writeBatch();
        client.flush();
    }

    /** Writes what is gathered, then {@code last}, flushes and closes the channel. */
    void writeAndClose(Object last) {
        writeBatch();
        client.writeAndFlush(last).addListener(ChannelFutureListener.CLOSE);
    }

    private void writeBatch() {
        CompositeByteBuf pending = batch;
        batch = null;
        if (pending != null) {
            client.write(pending, client.voidPromise());
        }
    }
}
