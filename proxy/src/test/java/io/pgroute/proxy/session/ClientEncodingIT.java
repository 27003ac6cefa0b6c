package io.pgroute.proxy.session;

import io.pgroute.protocol.frontend.Bind;
import io.pgroute.protocol.frontend.Execute;
import io.pgroute.protocol.frontend.Query;
import io.pgroute.protocol.frontend.Sync;
import io.pgroute.proxy.testing.ProxyFixture;
import org.junit.jupiter.api.Test;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * A client whose client_encoding is not UTF8 sends texts whose bytes are not UTF-8 (LATIN1's {@code 'café'} is
 * {@code 63 61 66 E9}). pgroute prepares a client's statement again on every server connection that runs it, from the
 * text it read: that text must be the bytes the client sent, not U+FFFD in their place.
 */
class ClientEncodingIT {

    @Test
    void aNamedStatementInLatin1IsTheSameOnEveryConnection() throws Exception {
        byte[] cafe = "caf\u00e9".getBytes(StandardCharsets.ISO_8859_1);
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            assertThat(WireClient.types(query(client, "SET client_encoding = 'LATIN1'"))).isEqualTo("CSZ");
            client.sendRaw(concat(parse("latin1_text", "SELECT 'caf\u00e9'::text AS v, $1::int AS n"),
                    WireClient.rawMessage('S', new byte[0])));
            assertThat(WireClient.types(client.readUntilReady())).isEqualTo("1Z");
            for (int i = 0; i < 8; i++) {  // on the replicas, and in a transaction on the primary: other connections
                boolean inTransaction = i % 2 == 1;
                if (inTransaction) {
                    assertThat(WireClient.types(query(client, "BEGIN"))).isEqualTo("CZ");
                }
                client.send(new Bind("", "latin1_text", new short[0],
                        new byte[][] {Integer.toString(i).getBytes(StandardCharsets.US_ASCII)}, new short[0]),
                        new Execute("", 0), Sync.INSTANCE);
                List<WireClient.Message> answer = client.readUntilReady();
                assertThat(WireClient.types(answer)).as("%s", answer).isEqualTo("2DCZ");
                byte[] value = answer.get(1).decode(io.pgroute.protocol.backend.DataRow::decode).values()[0];
                assertThat(value).as("run %d: the text as the client wrote it", i).isEqualTo(cafe);
                if (inTransaction) {
                    assertThat(WireClient.types(query(client, "COMMIT"))).isEqualTo("CZ");
                }
            }
        }
    }

    /**
     * In SJIS, 表 is 0x95 0x5C: read as UTF-8, the 0x5C is a backslash that escapes the E'' string's closing quote,
     * so the DELETE after it looked like part of a string, the text like one read, and it went to a replica
     * (25006). PostgreSQL reads it in SJIS: a read, then a DELETE.
     */
    @Test
    void aTextInSjisIsReadAsSjis() throws Exception {
        String table = "enc_sjis_" + System.nanoTime();
        try (WireClient client = WireClient.connect(ProxyFixture.get().port(), "trusted", "app")) {
            assertThat(WireClient.types(query(client, "CREATE TABLE " + table + " (id int)"))).isEqualTo("CZ");
            assertThat(WireClient.types(query(client, "INSERT INTO " + table + " VALUES (1), (2)"))).isEqualTo("CZ");
            assertThat(WireClient.types(query(client, "SET client_encoding = 'SJIS'"))).isEqualTo("CSZ");
            byte[] hyo = {(byte) 0x95, 0x5C};
            ByteArrayOutputStream sql = new ByteArrayOutputStream();
            sql.writeBytes("SELECT E'".getBytes(StandardCharsets.US_ASCII));
            sql.writeBytes(hyo);
            sql.writeBytes(("' AS v; DELETE FROM " + table + " WHERE id = 1").getBytes(StandardCharsets.US_ASCII));
            sql.write(0);
            for (int round = 0; round < 3; round++) {  // the same text again: a cached classification reads alike
                client.sendRaw(WireClient.rawMessage('Q', sql.toByteArray()));
                List<WireClient.Message> answer = client.readUntilReady();
                assertThat(WireClient.types(answer)).as("round %d: %s", round, answer).isEqualTo("TDCCZ");
                byte[] value = answer.get(1).decode(io.pgroute.protocol.backend.DataRow::decode).values()[0];
                assertThat(value).isEqualTo(hyo);
            }
            assertThat(WireClient.types(query(client, "SET client_encoding = 'UTF8'"))).isEqualTo("CSZ");
            List<WireClient.Message> left = query(client, "/* pgroute: primary */ SELECT count(*) FROM " + table);
            assertThat(new String(left.get(1).decode(io.pgroute.protocol.backend.DataRow::decode).values()[0],
                    StandardCharsets.US_ASCII)).isEqualTo("1");
            query(client, "DROP TABLE " + table);
        }
    }

    private static List<WireClient.Message> query(WireClient client, String sql) throws Exception {
        client.send(new Query(sql));
        return client.readUntilReady();
    }

    /** A Parse of {@code sql} in LATIN1, no parameter types. */
    private static byte[] parse(String name, String sql) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        body.writeBytes(name.getBytes(StandardCharsets.US_ASCII));
        body.write(0);
        body.writeBytes(sql.getBytes(StandardCharsets.ISO_8859_1));
        body.write(0);
        body.write(0);
        body.write(0);
        return WireClient.rawMessage('P', body.toByteArray());
    }

    private static byte[] concat(byte[] first, byte[] second) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.writeBytes(first);
        out.writeBytes(second);
        return out.toByteArray();
    }
}
