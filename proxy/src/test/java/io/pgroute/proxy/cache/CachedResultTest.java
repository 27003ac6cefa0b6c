package io.pgroute.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CachedResultTest {

    static byte[] frame(char type, String body) {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        return ByteBuffer.allocate(5 + bytes.length).put((byte) type).putInt(4 + bytes.length).put(bytes).array();
    }

    static byte[] frames() {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(frame('T', "\0\1id\0"));
        out.writeBytes(frame('D', "\0\1\0\0\0\0012"));
        out.writeBytes(frame('C', "SELECT 1\0"));
        return out.toByteArray();
    }

    private static CachedResult sample() {
        Map<String, Long> versions = new LinkedHashMap<>();
        versions.put("public.products", 7L);
        versions.put("public.prices", 0L);
        return new CachedResult(frames(), 1_700_000_000_000_000L, versions);
    }

    @Test
    void roundTrips() {
        CachedResult result = sample();
        CachedResult decoded = CachedResult.decode(result.encode());
        assertThat(decoded).isEqualTo(result);
        assertThat(decoded.size()).isEqualTo(frames().length);
        assertThat(decoded.versions()).containsExactly(Map.entry("public.products", 7L),
                Map.entry("public.prices", 0L));
    }

    @Test
    void encodesTheLayoutTheLookupScriptReads() {
        byte[] epoch = "1700000000000000".getBytes(StandardCharsets.US_ASCII);
        ByteBuffer expected = ByteBuffer.allocate(200);
        expected.put(new byte[] {'P', 'G', 'R', 2}).put((byte) epoch.length).put(epoch).putShort((short) 2);
        expected.putShort((short) 15).put("public.products".getBytes(StandardCharsets.UTF_8)).put((byte) 1)
                .put((byte) '7');
        expected.putShort((short) 13).put("public.prices".getBytes(StandardCharsets.UTF_8)).put((byte) 1)
                .put((byte) '0');
        expected.put((byte) 1).put((byte) '0');  // no last-write watermark
        expected.putInt(frames().length).put(frames());
        assertThat(sample().encode()).isEqualTo(Arrays.copyOf(expected.array(), expected.position()));
    }

    @Test
    void rejectsEveryTruncation() {
        byte[] encoded = sample().encode();
        for (int length = 0; length < encoded.length; length++) {
            byte[] truncated = Arrays.copyOf(encoded, length);
            assertThatThrownBy(() -> CachedResult.decode(truncated)).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void rejectsTrailingBytesAndForeignData() {
        byte[] encoded = sample().encode();
        assertThatThrownBy(() -> CachedResult.decode(Arrays.copyOf(encoded, encoded.length + 1)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> CachedResult.decode("hello world".getBytes(StandardCharsets.US_ASCII)))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void rejectsPartialFrames() {
        byte[] whole = frames();
        assertThatThrownBy(() -> new CachedResult(Arrays.copyOf(whole, whole.length - 1), 1, Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new CachedResult(new byte[] {'C', 0, 0, 0, 3}, 1, Map.of()))
                .isInstanceOf(IllegalArgumentException.class);
    }
}
