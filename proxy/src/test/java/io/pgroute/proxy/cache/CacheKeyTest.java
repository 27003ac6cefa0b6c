package io.pgroute.proxy.cache;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CacheKeyTest {

    private static byte[] b(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static CacheKey.Builder base() {
        return CacheKey.builder("shop", "app")
                .settings(Map.of("search_path", "public", "TimeZone", "UTC"))
                .sql("select * from products where id = $1")
                .parameters(new byte[][] {b("42")}, new short[] {0})
                .resultFormats(new short[] {1})
                .shape(CacheKey.Shape.EXTENDED);
    }

    @Test
    void sameInputsGiveTheSameKey() {
        assertThat(base().build()).isEqualTo(base().build());
        assertThat(base().build().hex()).hasSize(32).isEqualTo(base().build().hex());
        assertThat(base().build().database()).isEqualTo("shop");
    }

    @Test
    void everyFieldChangesTheKey() {
        CacheKey key = base().build();
        assertThat(CacheKey.builder("shop2", "app").build()).isNotEqualTo(CacheKey.builder("shop", "app").build());
        assertThat(base().settings(Map.of("search_path", "other", "TimeZone", "UTC")).build()).isNotEqualTo(key);
        assertThat(base().sql("select * from products where id = $2").build()).isNotEqualTo(key);
        assertThat(base().parameters(new byte[][] {b("43")}, new short[] {0}).build()).isNotEqualTo(key);
        assertThat(base().parameters(new byte[][] {b("42")}, new short[] {1}).build()).isNotEqualTo(key);
        assertThat(base().resultFormats(new short[] {0}).build()).isNotEqualTo(key);
        assertThat(base().shape(CacheKey.Shape.SIMPLE).build()).isNotEqualTo(key);
        CacheKey otherRole = CacheKey.builder("shop", "admin").settings(Map.of("search_path", "public",
                "TimeZone", "UTC")).sql("select * from products where id = $1")
                .parameters(new byte[][] {b("42")}, new short[] {0}).resultFormats(new short[] {1})
                .shape(CacheKey.Shape.EXTENDED).build();
        assertThat(otherRole).isNotEqualTo(key);
    }

    @Test
    void shiftedBoundariesDoNotCollide() {
        assertThat(CacheKey.builder("ab", "c").build()).isNotEqualTo(CacheKey.builder("a", "bc").build());
        assertThat(base().parameters(new byte[][] {b("ab"), b("c")}, new short[0]).build())
                .isNotEqualTo(base().parameters(new byte[][] {b("a"), b("bc")}, new short[0]).build());
        assertThat(base().settings(Map.of("a", "bc")).build()).isNotEqualTo(base().settings(Map.of("ab", "c")).build());
        assertThat(base().sql("x").parameters(new byte[][] {b("y")}, new short[0]).build())
                .isNotEqualTo(base().sql("xy").parameters(new byte[0][], new short[0]).build());
        assertThat(base().parameters(new byte[][] {b("a")}, new short[] {0}).build())
                .isNotEqualTo(base().parameters(new byte[][] {b("a"), new byte[0]}, new short[0]).build());
    }

    @Test
    void nullParameterDiffersFromEmpty() {
        assertThat(base().parameters(new byte[][] {null}, new short[0]).build())
                .isNotEqualTo(base().parameters(new byte[][] {new byte[0]}, new short[0]).build());
        assertThat(base().parameters(new byte[][] {null}, new short[0]).build())
                .isNotEqualTo(base().parameters(new byte[0][], new short[0]).build());
        Map<String, String> withNull = new LinkedHashMap<>();
        withNull.put("search_path", null);
        assertThat(base().settings(withNull).build()).isNotEqualTo(base().settings(Map.of("search_path", "")).build());
    }

    @Test
    void settingNamesAreCaseInsensitiveAndOrderFree() {
        Map<String, String> forward = new LinkedHashMap<>();
        forward.put("TimeZone", "UTC");
        forward.put("DateStyle", "ISO, MDY");
        Map<String, String> backward = new LinkedHashMap<>();
        backward.put("datestyle", "ISO, MDY");
        backward.put("timezone", "UTC");
        assertThat(base().settings(forward).build()).isEqualTo(base().settings(backward).build());
        assertThat(base().settings(Map.of("TimeZone", "UTC")).build())
                .isNotEqualTo(base().settings(Map.of("TimeZone", "utc")).build());
    }

    @Test
    void rejectsASettingGivenTwice() {
        Map<String, String> twice = new LinkedHashMap<>();
        twice.put("TimeZone", "UTC");
        twice.put("timezone", "CET");
        assertThatThrownBy(() -> base().settings(twice).build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aKeyAfterAVeryLargeOneHashesAsBefore() {
        String before = base().build().hex();
        CacheKey large = base().parameters(new byte[][] {new byte[200_000]}, new short[] {1}).build();
        assertThat(large.hex()).isNotEqualTo(before);
        assertThat(base().build().hex()).isEqualTo(before);
    }

    @Test
    void aKeyInASessionsContextIsTheKeyOfItsDatabaseRoleAndSettings() {
        java.util.Map<String, String> settings = java.util.Map.of("search_path", "public", "TimeZone", "UTC");
        CacheKey.Context context = CacheKey.Context.of("app", "app", CacheKey.Settings.of(settings));
        CacheKey inContext = CacheKey.builder(context).sql("SELECT 1").build();
        assertThat(inContext).isEqualTo(CacheKey.builder("app", "app").settings(settings).sql("SELECT 1").build());
        assertThat(inContext.database()).isEqualTo("app");
        assertThat(inContext).isNotEqualTo(CacheKey.builder("app", "other").settings(settings).sql("SELECT 1").build());
        assertThat(inContext).isNotEqualTo(CacheKey.builder("app", "app").sql("SELECT 1").build());
        assertThat(inContext).isNotEqualTo(CacheKey.builder(
                CacheKey.Context.of("shop", "app", CacheKey.Settings.of(settings))).sql("SELECT 1").build());
        assertThatThrownBy(() -> CacheKey.builder(context).settings(settings))
                .isInstanceOf(IllegalStateException.class);
    }

    @Test
    void theHashOfAFixedKeyNeverChangesUnnoticed() {
        CacheKey key = CacheKey.builder("app", "app")
                .settings(java.util.Map.of("search_path", "public", "TimeZone", "UTC"))
                .sql("SELECT * FROM products WHERE id = $1")
                .shape(CacheKey.Shape.EXTENDED)
                .detail("P[23]BDPE")
                .parameters(new byte[][] {"7".getBytes(java.nio.charset.StandardCharsets.US_ASCII), null},
                        new short[] {0, 1})
                .resultFormats(new short[] {1})
                .build();
        // a different value means every cached entry of every deployment is missed once: bump KEY_FORMAT then
        assertThat(key.hex()).isEqualTo("87c2adb8aa1c1112f4688e651f9e50a4");
    }

    /**
     * Texts in a client encoding other than UTF8 that differ only in bytes that are not UTF-8 ('café' and 'cafè' in
     * LATIN1) are read as different strings, and must give different keys: one must never answer the other.
     */
    @Test
    void latin1TextsThatDifferOnlyInBytesAboveAsciiHaveDifferentKeys() {
        String cafe = read("SELECT * FROM t WHERE name = 'caf\u00e9'".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        String cafeGrave = read("SELECT * FROM t WHERE name = 'caf\u00e8'"
                .getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        assertThat(CacheKey.builder("shop", "app").sql(cafe).build())
                .isNotEqualTo(CacheKey.builder("shop", "app").sql(cafeGrave).build());
    }

    private static String read(byte[] text) {
        io.netty.buffer.ByteBuf buffer = io.netty.buffer.Unpooled.buffer().writeBytes(text).writeByte(0);
        try {
            return io.pgroute.protocol.PgBuffers.readCString(buffer);
        } finally {
            buffer.release();
        }
    }
}
