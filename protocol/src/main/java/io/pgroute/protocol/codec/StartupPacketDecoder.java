package io.pgroute.protocol.codec;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.startup.StartupPacket;
import java.util.List;

/**
 * Frames and decodes the untyped packets of the startup phase into {@link StartupPacket} records, one per read
 * call: the bytes after a packet stay in the cumulation, so the handler that receives an SSLRequest can install TLS
 * (or, after a StartupMessage, replace this decoder with a {@link FrameDecoder}) before they are looked at. Removing
 * this decoder passes those bytes on; {@link #actualReadableBytes()} tells how many there are.
 */
public final class StartupPacketDecoder extends ByteToMessageDecoder {

    private boolean failed;

    public StartupPacketDecoder() {
        setSingleDecode(true);
    }

    /** The bytes received after the packets decoded so far (public so the startup handler can check them). */
    @Override
    public int actualReadableBytes() {
        return super.actualReadableBytes();
    }

    // Startup packet: Int32 len (self-inclusive, 8..10000), Int32 code, body
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
        if (failed) {
            in.skipBytes(in.readableBytes());
            return;
        }
        if (in.readableBytes() < 4) {
            return;
        }
        int length = in.getInt(in.readerIndex());
        if (length < 8 || length > StartupPacket.MAX_LENGTH) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw new ProtocolException("invalid length of startup packet");
        }
        if (in.readableBytes() < length) {
            return;
        }
        in.skipBytes(4);
        ByteBuf packet = in.readSlice(length - 4);
        try {
            out.add(StartupPacket.decode(packet));
        } catch (ProtocolException e) {
            failed = true;
            in.skipBytes(in.readableBytes());
            throw e;
        }
    }
}
