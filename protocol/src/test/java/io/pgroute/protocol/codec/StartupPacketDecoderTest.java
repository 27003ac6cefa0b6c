package io.pgroute.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.startup.CancelRequest;
import io.pgroute.protocol.startup.SSLRequest;
import io.pgroute.protocol.startup.StartupMessage;
import io.pgroute.protocol.startup.StartupPacket;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class StartupPacketDecoderTest {

    private static final StartupMessage STARTUP = StartupMessage.of("alice", "shop", Map.of("client_encoding", "UTF8"));

    private final StartupPacketDecoder decoder = new StartupPacketDecoder();
    private final EmbeddedChannel channel = new EmbeddedChannel(decoder);

    @AfterEach
    void finish() {
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void decodesWholePacket() {
        channel.writeInbound(encode(STARTUP));

        assertThat((Object) channel.readInbound()).isEqualTo(STARTUP);
    }

    @Test
    void decodesSplitPacket() {
        ByteBuf bytes = encode(STARTUP);
        channel.writeInbound(bytes.readRetainedSlice(2));
        channel.writeInbound(bytes.readRetainedSlice(10));
        assertThat((Object) channel.readInbound()).isNull();
        channel.writeInbound(bytes);

        assertThat((Object) channel.readInbound()).isEqualTo(STARTUP);
    }

    @Test
    void decodesOneByteAtATime() {
        ByteBuf bytes = encode(new CancelRequest(77, new byte[] {9, 8, 7, 6}));
        while (bytes.isReadable()) {
            assertThat((Object) channel.readInbound()).isNull();
            channel.writeInbound(bytes.readRetainedSlice(1));
        }
        bytes.release();

        assertThat((Object) channel.readInbound()).isEqualTo(new CancelRequest(77, new byte[] {9, 8, 7, 6}));
    }

    @Test
    void leavesBytesAfterAPacketInTheCumulation() {
        ByteBuf startup = encode(STARTUP);
        int startupLength = startup.readableBytes();
        channel.writeInbound(Unpooled.wrappedBuffer(encode(SSLRequest.INSTANCE), startup));

        assertThat((Object) channel.readInbound()).isEqualTo(SSLRequest.INSTANCE);
        assertThat((Object) channel.readInbound()).isNull();
        assertThat(decoder.actualReadableBytes()).isEqualTo(startupLength);

        channel.pipeline().remove(decoder);
        ByteBuf leftover = channel.readInbound();
        try {
            assertThat(leftover.readableBytes()).isEqualTo(startupLength);
        } finally {
            leftover.release();
        }
    }

    @Test
    void decodesTheNextPacketOnTheNextRead() {
        channel.writeInbound(Unpooled.wrappedBuffer(encode(SSLRequest.INSTANCE), encode(STARTUP)));
        assertThat((Object) channel.readInbound()).isEqualTo(SSLRequest.INSTANCE);

        channel.writeInbound(Unpooled.EMPTY_BUFFER);

        assertThat((Object) channel.readInbound()).isEqualTo(STARTUP);
    }

    @ParameterizedTest
    @ValueSource(ints = {7, 4, 0, -1, 10_001, Integer.MAX_VALUE})
    void rejectsBadLength(int length) {
        ByteBuf bytes = Unpooled.buffer().writeInt(length).writeInt(80877103);

        assertThatThrownBy(() -> channel.writeInbound(bytes)).isInstanceOf(ProtocolException.class)
                .hasMessage("invalid length of startup packet");
    }

    @Test
    void acceptsPacketOfExactlyTheMaximumLength() {
        String value = "x".repeat(StartupPacket.MAX_LENGTH - 18);
        ByteBuf bytes = Unpooled.buffer().writeInt(StartupPacket.MAX_LENGTH).writeInt(StartupMessage.PROTOCOL_3_0);
        bytes.writeBytes(("options\0" + value + "\0\0").getBytes(StandardCharsets.US_ASCII));
        assertThat(bytes.readableBytes()).isEqualTo(StartupPacket.MAX_LENGTH);

        channel.writeInbound(bytes);

        StartupMessage message = channel.readInbound();
        assertThat(message.parameter("options")).hasSize(StartupPacket.MAX_LENGTH - 18);
    }

    @Test
    void rejectsUnsupportedProtocolAndDiscardsTheRest() {
        ByteBuf bytes = Unpooled.buffer().writeInt(9).writeInt(2 << 16).writeByte(0);

        assertThatThrownBy(() -> channel.writeInbound(bytes)).isInstanceOf(ProtocolException.class)
                .hasMessageStartingWith("unsupported frontend protocol 2.0");

        channel.writeInbound(encode(STARTUP));
        assertThat((Object) channel.readInbound()).isNull();
    }

    private static ByteBuf encode(Object packet) {
        return MessageEncoder.encode(ByteBufAllocator.DEFAULT, packet);
    }
}
