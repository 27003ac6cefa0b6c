package io.pgroute.protocol.startup;

import static io.pgroute.protocol.testing.WireAssertions.assertMalformed;
import static io.pgroute.protocol.testing.WireAssertions.assertRoundTrip;
import static io.pgroute.protocol.testing.WireAssertions.cstring;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.netty.buffer.ByteBuf;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Consumer;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class StartupPacketTest {

    static Stream<Arguments> packets() {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("user", "alice");
        parameters.put("database", "shop");
        parameters.put("application_name", "psql");
        return Stream.of(
                arguments(new StartupMessage(StartupMessage.PROTOCOL_3_0, parameters), body(out -> {
                    out.writeInt(196608);
                    cstring(out, "user");
                    cstring(out, "alice");
                    cstring(out, "database");
                    cstring(out, "shop");
                    cstring(out, "application_name");
                    cstring(out, "psql");
                    out.writeByte(0);
                })),
                arguments(new StartupMessage(StartupMessage.PROTOCOL_3_2, Map.of()),
                        body(out -> out.writeInt(196610).writeByte(0))),
                arguments(SSLRequest.INSTANCE, body(out -> out.writeInt(80877103))),
                arguments(GSSENCRequest.INSTANCE, body(out -> out.writeInt(80877104))),
                arguments(new CancelRequest(1234, new byte[] {1, 2, 3, 4}),
                        body(out -> out.writeInt(80877102).writeInt(1234).writeBytes(new byte[] {1, 2, 3, 4}))),
                arguments(new CancelRequest(1234, new byte[256]),
                        body(out -> out.writeInt(80877102).writeInt(1234).writeZero(256))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("packets")
    void roundTrips(StartupPacket packet, Consumer<ByteBuf> body) {
        assertRoundTrip(packet, body, StartupPacket::decode);
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                arguments("no code", body(out -> out.writeShort(3))),
                arguments("no terminator", body(out -> {
                    out.writeInt(196608);
                    cstring(out, "user");
                    cstring(out, "alice");
                })),
                arguments("name without value", body(out -> {
                    out.writeInt(196608);
                    cstring(out, "user");
                    out.writeByte(0);
                })),
                arguments("bytes after terminator", body(out -> out.writeInt(196608).writeByte(0).writeByte(1))),
                arguments("SSLRequest with body", body(out -> out.writeInt(80877103).writeByte(0))),
                arguments("GSSENCRequest with body", body(out -> out.writeInt(80877104).writeByte(0))),
                arguments("CancelRequest with short key", body(out -> out.writeInt(80877102).writeInt(1).writeShort(0))),
                arguments("CancelRequest with 257-byte key",
                        body(out -> out.writeInt(80877102).writeInt(1).writeZero(257))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsMalformedPacket(String name, Consumer<ByteBuf> body) {
        assertMalformed(StartupPacket::decode, body);
    }

    @Test
    void databaseDefaultsToUser() {
        StartupMessage message = StartupMessage.of("alice", null, Map.of("options", "-c x=1"));

        assertThat(message.user()).isEqualTo("alice");
        assertThat(message.database()).isEqualTo("alice");
        assertThat(message.parameter("options")).isEqualTo("-c x=1");
        assertThat(message.majorVersion()).isEqualTo(3);
        assertThat(message.minorVersion()).isZero();
    }

    @Test
    void acceptsNewerMinorVersions() {
        StartupMessage message = new StartupMessage(3 << 16 | 9, Map.of("user", "bob", "database", "db"));

        assertThat(message.minorVersion()).isEqualTo(9);
        assertThat(message.database()).isEqualTo("db");
    }

    private static Consumer<ByteBuf> body(Consumer<ByteBuf> body) {
        return body;
    }

    @org.junit.jupiter.api.Test
    void refusesOtherMajorVersionsAsFeatureNotSupported() {
        for (int major : new int[] {2, 4}) {
            io.netty.buffer.ByteBuf buffer = io.netty.buffer.Unpooled.buffer();
            try {
                buffer.writeInt(major << 16).writeByte(0);
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> StartupPacket.decode(buffer))
                        .isInstanceOf(io.pgroute.protocol.ProtocolException.class)
                        .hasMessage("unsupported frontend protocol " + major + ".0: server supports 3.0 to 3.2")
                        .extracting(e -> ((io.pgroute.protocol.ProtocolException) e).sqlState())
                        .isEqualTo("0A000");
            } finally {
                buffer.release();
            }
        }
    }
}
