package io.pgroute.protocol.backend;

import static io.pgroute.protocol.testing.WireAssertions.assertMalformed;
import static io.pgroute.protocol.testing.WireAssertions.assertRoundTrip;
import static io.pgroute.protocol.testing.WireAssertions.cstring;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import io.netty.buffer.ByteBuf;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.SqlState;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

class BackendMessageTest {

    static Stream<Arguments> messages() {
        return Stream.of(
                arguments(AuthenticationOk.INSTANCE, body(out -> out.writeInt(0)), decoder(Authentication::decode)),
                arguments(AuthenticationCleartextPassword.INSTANCE, body(out -> out.writeInt(3)),
                        decoder(Authentication::decode)),
                arguments(new AuthenticationMD5Password(new byte[] {1, 2, 3, 4}),
                        body(out -> out.writeInt(5).writeBytes(new byte[] {1, 2, 3, 4})),
                        decoder(Authentication::decode)),
                arguments(AuthenticationGSS.INSTANCE, body(out -> out.writeInt(7)), decoder(Authentication::decode)),
                arguments(new AuthenticationGSSContinue(new byte[] {9}), body(out -> out.writeInt(8).writeByte(9)),
                        decoder(Authentication::decode)),
                arguments(AuthenticationSSPI.INSTANCE, body(out -> out.writeInt(9)), decoder(Authentication::decode)),
                arguments(new AuthenticationSASL(List.of("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256")), body(out -> {
                    out.writeInt(10);
                    cstring(out, "SCRAM-SHA-256-PLUS");
                    cstring(out, "SCRAM-SHA-256");
                    out.writeByte(0);
                }), decoder(Authentication::decode)),
                arguments(new AuthenticationSASLContinue(new byte[] {'r', '='}),
                        body(out -> out.writeInt(11).writeBytes(new byte[] {'r', '='})),
                        decoder(Authentication::decode)),
                arguments(new AuthenticationSASLFinal(new byte[] {'v', '='}),
                        body(out -> out.writeInt(12).writeBytes(new byte[] {'v', '='})),
                        decoder(Authentication::decode)),
                arguments(new BackendKeyData(42, new byte[] {1, 2, 3, 4}),
                        body(out -> out.writeInt(42).writeBytes(new byte[] {1, 2, 3, 4})),
                        decoder(BackendKeyData::decode)),
                arguments(new BackendKeyData(42, new byte[32]), body(out -> out.writeInt(42).writeZero(32)),
                        decoder(BackendKeyData::decode)),
                arguments(BindComplete.INSTANCE, body(out -> { }), decoder(BindComplete::decode)),
                arguments(CloseComplete.INSTANCE, body(out -> { }), decoder(CloseComplete::decode)),
                arguments(EmptyQueryResponse.INSTANCE, body(out -> { }), decoder(EmptyQueryResponse::decode)),
                arguments(NoData.INSTANCE, body(out -> { }), decoder(NoData::decode)),
                arguments(ParseComplete.INSTANCE, body(out -> { }), decoder(ParseComplete::decode)),
                arguments(PortalSuspended.INSTANCE, body(out -> { }), decoder(PortalSuspended::decode)),
                arguments(CopyDone.INSTANCE, body(out -> { }), decoder(CopyDone::decode)),
                arguments(new CopyData(new byte[] {7, 8}), body(out -> out.writeByte(7).writeByte(8)),
                        decoder(CopyData::decode)),
                arguments(new CommandComplete("INSERT 0 5"), body(out -> cstring(out, "INSERT 0 5")),
                        decoder(CommandComplete::decode)),
                arguments(new CopyInResponse((byte) 0, new short[] {0, 0}),
                        body(out -> out.writeByte(0).writeShort(2).writeShort(0).writeShort(0)),
                        decoder(CopyInResponse::decode)),
                arguments(new CopyOutResponse((byte) 1, new short[] {1}),
                        body(out -> out.writeByte(1).writeShort(1).writeShort(1)),
                        decoder(CopyOutResponse::decode)),
                arguments(new CopyBothResponse((byte) 1, new short[0]), body(out -> out.writeByte(1).writeShort(0)),
                        decoder(CopyBothResponse::decode)),
                arguments(new DataRow(new byte[][] {{'4', '2'}, null, {}}), body(out -> {
                    out.writeShort(3).writeInt(2).writeByte('4').writeByte('2').writeInt(-1).writeInt(0);
                }), decoder(DataRow::decode)),
                arguments(new ParameterDescription(new int[] {23, 25}),
                        body(out -> out.writeShort(2).writeInt(23).writeInt(25)),
                        decoder(ParameterDescription::decode)),
                arguments(new ParameterStatus("TimeZone", "UTC"), body(out -> {
                    cstring(out, "TimeZone");
                    cstring(out, "UTC");
                }), decoder(ParameterStatus::decode)),
                arguments(ReadyForQuery.IDLE, body(out -> out.writeByte('I')), decoder(ReadyForQuery::decode)),
                arguments(ReadyForQuery.IN_TRANSACTION, body(out -> out.writeByte('T')),
                        decoder(ReadyForQuery::decode)),
                arguments(ReadyForQuery.FAILED, body(out -> out.writeByte('E')), decoder(ReadyForQuery::decode)),
                arguments(new RowDescription(List.of(
                        new RowDescription.Field("id", 16384, (short) 1, 23, (short) 4, -1, (short) 0),
                        new RowDescription.Field("name", 0, (short) 0, 25, (short) -1, -1, (short) 1))), body(out -> {
                            out.writeShort(2);
                            cstring(out, "id");
                            out.writeInt(16384).writeShort(1).writeInt(23).writeShort(4).writeInt(-1).writeShort(0);
                            cstring(out, "name");
                            out.writeInt(0).writeShort(0).writeInt(25).writeShort(-1).writeInt(-1).writeShort(1);
                        }), decoder(RowDescription::decode)),
                arguments(new NotificationResponse(7, "jobs", "42"), body(out -> {
                    out.writeInt(7);
                    cstring(out, "jobs");
                    cstring(out, "42");
                }), decoder(NotificationResponse::decode)),
                arguments(new NegotiateProtocolVersion(0, List.of("_pq_.x")), body(out -> {
                    out.writeInt(0x00030000).writeInt(1);  // PostgreSQL 17's bytes: the whole version, 3.0
                    cstring(out, "_pq_.x");
                }), decoder(NegotiateProtocolVersion::decode)),
                arguments(new FunctionCallResponse(new byte[] {1}), body(out -> out.writeInt(1).writeByte(1)),
                        decoder(FunctionCallResponse::decode)),
                arguments(new FunctionCallResponse(null), body(out -> out.writeInt(-1)),
                        decoder(FunctionCallResponse::decode)),
                arguments(ErrorResponse.fatal("28P01", "password authentication failed").withHint("check it"),
                        body(out -> {
                            out.writeByte('S');
                            cstring(out, "FATAL");
                            out.writeByte('V');
                            cstring(out, "FATAL");
                            out.writeByte('C');
                            cstring(out, "28P01");
                            out.writeByte('M');
                            cstring(out, "password authentication failed");
                            out.writeByte('H');
                            cstring(out, "check it");
                            out.writeByte(0);
                        }), decoder(ErrorResponse::decode)),
                arguments(NoticeResponse.notice("hello"), body(out -> {
                    out.writeByte('S');
                    cstring(out, "NOTICE");
                    out.writeByte('V');
                    cstring(out, "NOTICE");
                    out.writeByte('C');
                    cstring(out, "00000");
                    out.writeByte('M');
                    cstring(out, "hello");
                    out.writeByte(0);
                }), decoder(NoticeResponse::decode)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("messages")
    void roundTrips(Object message, Consumer<ByteBuf> body, Function<ByteBuf, Object> decoder) {
        assertRoundTrip(message, body, decoder);
    }

    static Stream<Arguments> malformed() {
        return Stream.of(
                arguments("Authentication without code", decoder(Authentication::decode), body(out -> out.writeShort(0))),
                arguments("Authentication with unknown code", decoder(Authentication::decode),
                        body(out -> out.writeInt(99))),
                arguments("AuthenticationOk with trailing bytes", decoder(Authentication::decode),
                        body(out -> out.writeInt(0).writeByte(1))),
                arguments("AuthenticationMD5Password with short salt", decoder(Authentication::decode),
                        body(out -> out.writeInt(5).writeShort(1))),
                arguments("AuthenticationSASL without terminator", decoder(Authentication::decode), body(out -> {
                    out.writeInt(10);
                    cstring(out, "SCRAM-SHA-256");
                })),
                arguments("BackendKeyData with short key", decoder(BackendKeyData::decode),
                        body(out -> out.writeInt(1).writeShort(1))),
                arguments("BackendKeyData with 257-byte key", decoder(BackendKeyData::decode),
                        body(out -> out.writeInt(1).writeZero(257))),
                arguments("BindComplete with body", decoder(BindComplete::decode), body(out -> out.writeByte(0))),
                arguments("CommandComplete without NUL", decoder(CommandComplete::decode),
                        body(out -> out.writeByte('S'))),
                arguments("CopyInResponse truncated", decoder(CopyInResponse::decode),
                        body(out -> out.writeByte(0).writeShort(2).writeShort(0))),
                arguments("DataRow truncated", decoder(DataRow::decode),
                        body(out -> out.writeShort(1).writeInt(5).writeByte(1))),
                arguments("DataRow with huge count", decoder(DataRow::decode), body(out -> out.writeShort(-1))),
                arguments("ParameterDescription truncated", decoder(ParameterDescription::decode),
                        body(out -> out.writeShort(2).writeInt(23))),
                arguments("ParameterStatus without value", decoder(ParameterStatus::decode),
                        body(out -> cstring(out, "TimeZone"))),
                arguments("ReadyForQuery with bad status", decoder(ReadyForQuery::decode),
                        body(out -> out.writeByte('X'))),
                arguments("ReadyForQuery empty", decoder(ReadyForQuery::decode), body(out -> { })),
                arguments("RowDescription truncated field", decoder(RowDescription::decode), body(out -> {
                    out.writeShort(1);
                    cstring(out, "id");
                    out.writeInt(0).writeShort(0);
                })),
                arguments("NotificationResponse truncated", decoder(NotificationResponse::decode),
                        body(out -> out.writeInt(7))),
                arguments("NegotiateProtocolVersion with negative count", decoder(NegotiateProtocolVersion::decode),
                        body(out -> out.writeInt(0x00030000).writeInt(-1))),
                arguments("NegotiateProtocolVersion with a bare minor version", decoder(NegotiateProtocolVersion::decode),
                        body(out -> out.writeInt(2).writeInt(0))),
                arguments("FunctionCallResponse truncated", decoder(FunctionCallResponse::decode),
                        body(out -> out.writeInt(4).writeByte(1))),
                arguments("ErrorResponse without terminator", decoder(ErrorResponse::decode), body(out -> {
                    out.writeByte('S');
                    cstring(out, "ERROR");
                })),
                arguments("NoticeResponse with unterminated value", decoder(NoticeResponse::decode),
                        body(out -> out.writeByte('M').writeByte('x'))));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("malformed")
    void rejectsMalformedBody(String name, Function<ByteBuf, Object> decoder, Consumer<ByteBuf> body) {
        assertMalformed(decoder, body);
    }

    @Test
    void errorResponseExposesItsFields() {
        ErrorResponse error = ErrorResponse.error(SqlState.INVALID_CATALOG_NAME, "database \"x\" does not exist")
                .withDetail("detail").withHint("hint");

        assertThat(error.severity()).isEqualTo("ERROR");
        assertThat(error.isFatal()).isFalse();
        assertThat(error.sqlState()).isEqualTo("3D000");
        assertThat(error.message()).isEqualTo("database \"x\" does not exist");
        assertThat(error.detail()).isEqualTo("detail");
        assertThat(error.hint()).isEqualTo("hint");
        assertThat(error.fields().keySet()).containsExactly('S', 'V', 'C', 'M', 'D', 'H');
        assertThat(error).hasToString("ErrorResponse[ERROR 3D000 database \"x\" does not exist, D=detail, H=hint]");
        assertThat(ErrorResponse.fatal("57P01", "bye").isFatal()).isTrue();
    }

    @Test
    void errorResponseFallsBackToLocalizedSeverity() {
        ErrorResponse error = new ErrorResponse(Map.of('S', "FEHLER", 'C', "42601", 'M', "Syntaxfehler"));

        assertThat(error.severity()).isEqualTo("FEHLER");
        assertThat(error.detail()).isNull();
    }

    @Test
    void commandCompleteParsesRowCount() {
        assertThat(new CommandComplete("SELECT 5").rows()).isEqualTo(5);
        assertThat(new CommandComplete("INSERT 0 12").rows()).isEqualTo(12);
        assertThat(new CommandComplete("CREATE TABLE").rows()).isEqualTo(-1);
        assertThat(new CommandComplete("BEGIN").rows()).isEqualTo(-1);
    }

    @Test
    void readyForQueryRejectsUnknownStatus() {
        assertThatThrownBy(() -> new ReadyForQuery((byte) 'X')).isInstanceOf(IllegalArgumentException.class);
        assertThat(ReadyForQuery.of((byte) 'T').inTransaction()).isTrue();
        assertThat(ReadyForQuery.IDLE.inTransaction()).isFalse();
    }

    @Test
    void looksUpTypesByCode() {
        for (BackendType each : BackendType.values()) {
            assertThat(BackendType.of(each.code())).isSameAs(each);
        }
        assertThat(BackendType.of((byte) 'Q')).isNull();
        assertThat(BackendType.of((byte) 0x80)).isNull();
    }

    private static Consumer<ByteBuf> body(Consumer<ByteBuf> body) {
        return body;
    }

    @SuppressWarnings("unchecked")
    private static Function<ByteBuf, Object> decoder(Function<ByteBuf, ?> decoder) {
        return (Function<ByteBuf, Object>) decoder;
    }
}
