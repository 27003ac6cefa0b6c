package io.pgroute.protocol.testing;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.util.ResourceLeakDetector;
import org.junit.jupiter.api.Test;

class NettyLeakDetectionTest {

    @Test
    void recordsALeakedBuffer() {
        assertThat(ResourceLeakDetector.getLevel()).isEqualTo(ResourceLeakDetector.Level.PARANOID);
        assertThat(NettyLeakDetection.collectLeaks()).as("leaks before this test").isEmpty();

        leakABuffer();

        // collectLeaks() forgets what it returns, so this class does not fail in afterAll
        assertThat(NettyLeakDetection.collectLeaks())
                .singleElement().asString()
                .startsWith("LEAK: ByteBuf.release() was not called")
                .contains("leakABuffer");
    }

    @Test
    void recordsNothingWhenBuffersAreReleased() {
        ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer(16).writeLong(42);
        buffer.release();

        assertThat(NettyLeakDetection.collectLeaks()).isEmpty();
    }

    private static void leakABuffer() {
        ByteBuf buffer = ByteBufAllocator.DEFAULT.buffer(16);
        buffer.writeLong(1234L);
        assertThat(buffer.readLong()).isEqualTo(1234L);
    }
}
