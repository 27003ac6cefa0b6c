package io.pgroute.proxy.frontend;

import io.netty.buffer.Unpooled;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * What a StartupMessage gets first, from pgroute and from PostgreSQL: a newer minor version with an option nobody
 * knows (what libpq 19 sends to test servers, COMPAT S4) gets NegotiateProtocolVersion with the version whole, and
 * the {@code replication} parameter is read as PostgreSQL reads it (COMPAT S7).
 */
class StartupIT {

    private static final String OPTION = "_pq_.test_protocol_negotiation";

    private static ProxyFixture fixture;

    @BeforeAll
    static void start() {
        fixture = ProxyFixture.get();
    }

    /** The first message a server sent: its type and body. */
    private record Answer(char type, byte[] body) {

        String sqlState() {
            assertThat(type).as("an ErrorResponse").isEqualTo('E');
            return ErrorResponse.decode(Unpooled.wrappedBuffer(body)).sqlState();
        }
    }

    @Test
    void answersAGreasedStartupWithTheWholeVersionAsPostgresqlDoes() throws IOException {
        List<String> params = List.of("user", "app", "database", "app", OPTION, "1");
        Answer direct = firstAnswer(fixture.cluster().primary().port(), 9999, params);
        Answer pgroute = firstAnswer(fixture.port(), 9999, params);
        assertThat(direct.type()).isEqualTo('v');
        assertThat(pgroute.type()).as("NegotiateProtocolVersion").isEqualTo('v');

        DataInputStream fromPostgresql = new DataInputStream(new ByteArrayInputStream(direct.body()));
        DataInputStream fromPgroute = new DataInputStream(new ByteArrayInputStream(pgroute.body()));
        assertThat(fromPostgresql.readInt() >>> 16).as("PostgreSQL's major version").isEqualTo(3);
        int version = fromPgroute.readInt();
        assertThat(version >>> 16).as("the major version, not 0: libpq 18 reads 0.2 as a downgrade").isEqualTo(3);
        assertThat(version & 0xFFFF).as("pgroute speaks 3.2").isEqualTo(2);
        assertThat(options(fromPgroute)).isEqualTo(options(fromPostgresql)).containsExactly(OPTION);
    }

    @Test
    void logsInAClientThatSaysItIsNotAReplicationConnectionAsPostgresqlDoes() throws IOException {
        for (String no : new String[] {"no", "off", "f", "0"}) {
            List<String> params = List.of("user", "app", "database", "app", "replication", no);
            assertThat(firstAnswer(fixture.cluster().primary().port(), 0, params).type()).as(no).isEqualTo('R');
            assertThat(firstAnswer(fixture.port(), 0, params).type()).as("the password request, for " + no)
                    .isEqualTo('R');
        }
    }

    @Test
    void refusesAnInvalidReplicationValueAsPostgresqlDoes() throws IOException {
        List<String> params = List.of("user", "app", "database", "app", "replication", "maybe");
        assertThat(firstAnswer(fixture.cluster().primary().port(), 0, params).sqlState()).isEqualTo("22023");
        assertThat(firstAnswer(fixture.port(), 0, params).sqlState()).isEqualTo("22023");
    }

    @Test
    void refusesAReplicationConnectionWithFeatureNotSupported() {
        Properties walsender = new Properties();
        walsender.setProperty("replication", "database");
        walsender.setProperty("assumeMinServerVersion", "9.4");
        walsender.setProperty("preferQueryMode", "simple");
        assertThatThrownBy(() -> fixture.connect("app", "app", walsender).close())
                .isInstanceOfSatisfying(SQLException.class,
                        refused -> assertThat(refused.getSQLState()).isEqualTo("0A000"));
    }

    /** Sends a StartupMessage for protocol 3.{@code minor} with {@code params} (name, value, …); the first answer. */
    private static Answer firstAnswer(int port, int minor, List<String> params) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            ByteArrayOutputStream body = new ByteArrayOutputStream();
            DataOutputStream fields = new DataOutputStream(body);
            fields.writeInt(3 << 16 | minor);
            for (String each : params) {
                fields.write(each.getBytes(StandardCharsets.UTF_8));
                fields.writeByte(0);
            }
            fields.writeByte(0);
            DataOutputStream out = new DataOutputStream(socket.getOutputStream());
            out.writeInt(4 + body.size());
            body.writeTo(out);
            out.flush();

            DataInputStream in = new DataInputStream(socket.getInputStream());
            char type = (char) in.readByte();
            byte[] message = new byte[in.readInt() - 4];
            in.readFully(message);
            return new Answer(type, message);
        }
    }

    /** The option names of a NegotiateProtocolVersion after its version; nothing may follow them. */
    private static List<String> options(DataInputStream in) throws IOException {
        int count = in.readInt();
        List<String> result = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            ByteArrayOutputStream name = new ByteArrayOutputStream();
            for (int b = in.readByte(); b != 0; b = in.readByte()) {
                name.write(b);
            }
            result.add(name.toString(StandardCharsets.UTF_8));
        }
        assertThat(in.available()).as("nothing after the options").isZero();
        return result;
    }
}
