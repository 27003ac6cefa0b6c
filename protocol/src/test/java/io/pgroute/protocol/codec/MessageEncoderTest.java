package io.pgroute.protocol.codec;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.backend.ReadyForQuery;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.startup.SSLRequest;
import org.junit.jupiter.api.Test;

class MessageEncoderTest {

    @Test
    void writesTypeLengthAndBodyInAPipeline() {
        EmbeddedChannel channel = new EmbeddedChannel(PgFrameEncoder.INSTANCE, MessageEncoder.INSTANCE);

        channel.writeOutbound(ReadyForQuery.IDLE, new Query("x"), SSLRequest.INSTANCE);

        assertNextOutbound(channel, "5a0000000549");
        assertNextOutbound(channel, "51000000067800");
        assertNextOutbound(channel, "0000000804d2162f");
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void passesFramesToTheFrameEncoder() {
        EmbeddedChannel channel = new EmbeddedChannel(PgFrameEncoder.INSTANCE, MessageEncoder.INSTANCE);

        channel.writeOutbound(new PgFrame((byte) 'Z', Unpooled.wrappedBuffer(new byte[] {'T'})));

        assertNextOutbound(channel, "5a00000005");
        assertNextOutbound(channel, "54");
        assertThat(channel.finishAndReleaseAll()).isFalse();
    }

    @Test
    void rejectsOtherObjects() {
        assertThatThrownBy(() -> MessageEncoder.encode(ByteBufAllocator.DEFAULT, "text"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void releasesTheBufferWhenEncodingFails() {
        assertThatThrownBy(() -> MessageEncoder.encode(ByteBufAllocator.DEFAULT, new Query("a\0b")))
                .isInstanceOf(IllegalArgumentException.class);
    }

    private static void assertNextOutbound(EmbeddedChannel channel, String hex) {
        ByteBuf buffer = channel.readOutbound();
        try {
            assertThat(ByteBufUtil.hexDump(buffer)).isEqualTo(hex);
        } finally {
            buffer.release();
        }
    }
}
