package io.pgroute.protocol;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;

import static org.assertj.core.api.Assertions.assertThat;

/** A C string reads and writes back byte for byte, whatever the client's encoding. */
class PgBuffersTest {

    private static String read(byte[] bytes) {
        ByteBuf buffer = Unpooled.buffer();
        buffer.writeBytes(bytes).writeByte(0);
        try {
            return PgBuffers.readCString(buffer);
        } finally {
            buffer.release();
        }
    }

    private static byte[] written(String value) {
        ByteBuf buffer = Unpooled.buffer();
        try {
            PgBuffers.writeCString(buffer, value);
            byte[] result = new byte[buffer.readableBytes() - 1];
            buffer.readBytes(result);
            assertThat(buffer.readByte()).isZero();
            return result;
        } finally {
            buffer.release();
        }
    }

    private static byte[] latin1(String text) {
        return text.getBytes(StandardCharsets.ISO_8859_1);
    }

    @Test
    void utf8ReadsAsItsCharacters() {
        String text = "SELECT 'café \uD83D\uDE00 \uFFFD'";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        assertThat(read(bytes)).isEqualTo(text);
        assertThat(written(text)).isEqualTo(bytes);
        assertThat(PgBuffers.hasEscapedBytes(text)).isFalse();
    }

    @Test
    void bytesThatAreNotUtf8ComeBackAsTheyWere() {
        byte[] cafe = latin1("SELECT 'caf\u00e9'");
        byte[] cafeGrave = latin1("SELECT 'caf\u00e8'");
        String one = read(cafe);
        String other = read(cafeGrave);
        assertThat(one).as("two LATIN1 texts stay two").isNotEqualTo(other);
        assertThat(PgBuffers.hasEscapedBytes(one)).isTrue();
        assertThat(written(one)).isEqualTo(cafe);
        assertThat(PgBuffers.bytes(other)).isEqualTo(cafeGrave);
    }

    @Test
    void mixedTruncatedAndSurrogatePairsRoundTrip() {
        byte[] emoji = "\uD83D\uDE00".getBytes(StandardCharsets.UTF_8);
        byte[] mixed = new byte[] {'a', (byte) 0xE9, emoji[0], emoji[1], emoji[2], emoji[3], (byte) 0xFF, 'b',
            (byte) 0xC3, 'c', (byte) 0xED, (byte) 0xB2, (byte) 0x80, (byte) 0xE2, (byte) 0x82};
        String text = read(mixed);
        assertThat(text).startsWith("a").contains("\uD83D\uDE00", "b", "c");
        assertThat(written(text)).isEqualTo(mixed);
        assertThat(PgBuffers.bytes(text)).isEqualTo(mixed);
    }
}
