package io.pgroute.protocol.auth;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScramTest {

    // RFC 7677 section 3
    private static final String CLIENT_NONCE = "rOprNGfwEbeRWgbNEkqO";
    private static final String SERVER_NONCE = "%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0";
    private static final byte[] SALT = Base64.getDecoder().decode("W22ZaJ0SNY7soEsUEjb6gQ==");
    private static final String CLIENT_FIRST = "n,,n=user,r=rOprNGfwEbeRWgbNEkqO";
    private static final String SERVER_FIRST =
            "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
    private static final String CLIENT_FINAL = "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,"
            + "p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
    // RFC 7677 prints this value; it was also checked independently (Python hashlib/hmac)
    private static final String SERVER_FINAL = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";
    private static final byte[] CERT_HASH = Scram.sha256(bytes("certificate"));

    @Test
    void clientProducesTheRfc7677TestVector() {
        ScramClient client = new ScramClient("user", "pencil", null, CLIENT_NONCE);

        assertThat(text(client.clientFirst())).isEqualTo(CLIENT_FIRST);
        assertThat(text(client.handleServerFirst(bytes(SERVER_FIRST)))).isEqualTo(CLIENT_FINAL);
        client.verifyServerFinal(bytes(SERVER_FINAL));
        assertThat(client.isComplete()).isTrue();
        assertThat(client.mechanism()).isEqualTo("SCRAM-SHA-256");
    }

    @Test
    void serverProducesTheRfc7677TestVector() {
        ScramServer server = rfcServer(ScramVerifier.fromPassword("pencil", SALT, 4096));

        assertThat(text(server.handleClientFirst("SCRAM-SHA-256", bytes(CLIENT_FIRST)))).isEqualTo(SERVER_FIRST);
        assertThat(text(server.handleClientFinal(bytes(CLIENT_FINAL)))).isEqualTo(SERVER_FINAL);
        assertThat(server.isComplete()).isTrue();
    }

    @Test
    void verifierRoundTripsThroughItsStoredForm() {
        ScramVerifier verifier = ScramVerifier.fromPassword("pencil", SALT, 4096);
        String stored = verifier.encoded();

        assertThat(stored).startsWith("SCRAM-SHA-256$4096:W22ZaJ0SNY7soEsUEjb6gQ==$");
        assertThat(ScramVerifier.parse(stored)).isEqualTo(verifier);
        assertThat(ScramVerifier.isVerifier(stored)).isTrue();
        assertThat(ScramVerifier.isVerifier("md53175bce1d3201d16594cebf9d7eb3f9d")).isFalse();
        assertThatThrownBy(() -> ScramVerifier.parse("SCRAM-SHA-256$4096:abc")).isInstanceOf(
                IllegalArgumentException.class);
        assertThatThrownBy(() -> ScramVerifier.parse("SCRAM-SHA-256$x:YQ==$YQ==:YQ==")).isInstanceOf(
                IllegalArgumentException.class);
    }

    @Test
    void serverVerifiedFromStoredVerifierMatchesTheVector() {
        ScramVerifier stored = ScramVerifier.parse(ScramVerifier.fromPassword("pencil", SALT, 4096).encoded());
        assertThat(stored.toString()).isEqualTo("ScramVerifier[iterations=4096, keys=***]");
        ScramServer server = rfcServer(stored);

        server.handleClientFirst(bytes(CLIENT_FIRST));

        assertThat(text(server.handleClientFinal(bytes(CLIENT_FINAL)))).isEqualTo(SERVER_FINAL);
    }

    @Test
    void clientAndServerAgree() {
        ScramServer server = ScramServer.forPassword("s3cret");
        ScramClient client = new ScramClient("s3cret");

        assertThat(exchange(client, server)).isTrue();
    }

    @Test
    void clientAndServerAgreeWithChannelBinding() {
        ScramServer server = new ScramServer(ScramVerifier.fromPassword("s3cret"), CERT_HASH);
        ScramClient client = new ScramClient("s3cret", CERT_HASH);

        assertThat(server.mechanisms()).containsExactly("SCRAM-SHA-256-PLUS", "SCRAM-SHA-256");
        assertThat(client.supports(server.mechanisms())).isTrue();
        assertThat(client.mechanism()).isEqualTo("SCRAM-SHA-256-PLUS");
        assertThat(exchange(client, server)).isTrue();
    }

    @Test
    void theKeysAClientProvedLogInToAServerStoringTheSameVerifier() {
        ScramVerifier stored = ScramVerifier.fromPassword("s3cret");
        ScramServer proxy = new ScramServer(stored);
        assertThat(exchange(new ScramClient("s3cret"), proxy)).isTrue();
        ScramKeys keys = proxy.keys();
        assertThat(keys).isEqualTo(ScramKeys.fromPassword("s3cret", stored.salt(), stored.iterations()))
                .hasToString("ScramKeys[iterations=4096, salt=" + Scram.base64(stored.salt()) + ", keys=***]");

        // the server itself, twice (each exchange has its own nonces), over TLS too
        assertThat(exchange(new ScramClient(keys, null), new ScramServer(stored))).isTrue();
        assertThat(exchange(new ScramClient(keys, null), new ScramServer(stored))).isTrue();
        assertThat(exchange(new ScramClient(keys, CERT_HASH), new ScramServer(stored, CERT_HASH))).isTrue();
    }

    @Test
    void keysAreRefusedByAServerStoringAnotherVerifier() {
        ScramServer proxy = new ScramServer(ScramVerifier.fromPassword("s3cret"));
        assertThat(exchange(new ScramClient("s3cret"), proxy)).isTrue();

        // the same password, set again on the server: another salt, which the keys cannot answer
        ScramServer changed = new ScramServer(ScramVerifier.fromPassword("s3cret"));
        ScramClient client = new ScramClient(proxy.keys(), null);
        byte[] serverFirst = changed.handleClientFirst(client.mechanism(), client.clientFirst());
        assertThatThrownBy(() -> client.handleServerFirst(serverFirst)).isInstanceOfSatisfying(ScramException.class,
                e -> {
                    assertThat(e.isInvalidProof()).isTrue();
                    assertThat(e.getMessage()).contains("another salt or iteration count");
                });
        assertThat(client.isComplete()).isFalse();
    }

    @Test
    void noKeysBeforeTheClientProvedItself() {
        ScramServer server = ScramServer.forPassword("s3cret");
        assertThatThrownBy(server::keys).isInstanceOf(IllegalStateException.class);
        ScramClient client = new ScramClient("guess");
        byte[] clientFinal = client.handleServerFirst(server.handleClientFirst(client.clientFirst()));
        assertThatThrownBy(() -> server.handleClientFinal(clientFinal)).isInstanceOf(ScramException.class);
        assertThatThrownBy(server::keys).isInstanceOf(IllegalStateException.class);
    }

    @Test
    void serverRejectsAWrongPassword() {
        ScramServer server = ScramServer.forPassword("s3cret");
        ScramClient client = new ScramClient("guess");
        byte[] serverFirst = server.handleClientFirst(client.clientFirst());
        byte[] clientFinal = client.handleServerFirst(serverFirst);

        assertThatThrownBy(() -> server.handleClientFinal(clientFinal)).isInstanceOfSatisfying(ScramException.class,
                e -> {
                    assertThat(e.isInvalidProof()).isTrue();
                    assertThat(e.sqlState()).isEqualTo("28P01");
                });
        assertThat(server.isComplete()).isFalse();
    }

    @Test
    void serverRejectsADifferentCertificateHash() {
        ScramServer server = new ScramServer(ScramVerifier.fromPassword("s3cret"), CERT_HASH);
        ScramClient client = new ScramClient("s3cret", Scram.sha256(bytes("other certificate")));
        byte[] clientFinal = client.handleServerFirst(server.handleClientFirst(client.clientFirst()));

        assertThatThrownBy(() -> server.handleClientFinal(clientFinal)).isInstanceOf(ScramException.class)
                .hasMessage("SCRAM channel binding check failed");
    }

    @Test
    void mockServerRejectsEvenTheRightAnswerWithAStableSalt() {
        byte[] secret = bytes("cluster mock secret");
        ScramServer first = ScramServer.mock("nobody", secret);
        ScramServer second = ScramServer.mock("nobody", secret);
        ScramClient client = new ScramClient("anything");
        String serverFirst = text(first.handleClientFirst(client.clientFirst()));
        String otherServerFirst = text(second.handleClientFirst(bytes("n,,n=,r=abc")));
        byte[] clientFinal = client.handleServerFirst(bytes(serverFirst));

        assertThat(serverFirst.substring(serverFirst.indexOf(",s="))).isEqualTo(
                otherServerFirst.substring(otherServerFirst.indexOf(",s=")));
        assertThatThrownBy(() -> first.handleClientFinal(clientFinal)).isInstanceOfSatisfying(ScramException.class,
                e -> assertThat(e.isInvalidProof()).isTrue());
    }

    @Test
    void serverRejectsMalformedClientFirstMessages() {
        for (String each : List.of("", "n,", "x,,n=,r=abc", "n,a=admin,n=,r=abc", "n,,m=ext,n=,r=abc", "n,,n=",
                "n,,n=,r=", "n,,r=abc", "p=tls-unique,,n=,r=abc")) {
            ScramServer server = ScramServer.forPassword("s3cret");
            assertThatThrownBy(() -> server.handleClientFirst(bytes(each))).as(each)
                    .isInstanceOfSatisfying(ScramException.class, e -> assertThat(e.sqlState()).isEqualTo("08P01"));
        }
    }

    @Test
    void serverEnforcesChannelBindingNegotiation() {
        ScramServer plain = ScramServer.forPassword("s3cret");
        assertThatThrownBy(() -> plain.handleClientFirst(bytes("p=tls-server-end-point,,n=,r=abc")))
                .isInstanceOf(ScramException.class);
        assertThat(text(ScramServer.forPassword("s3cret").handleClientFirst(bytes("y,,n=,r=abc")))).startsWith(
                "r=abc");

        ScramServer plus = new ScramServer(ScramVerifier.fromPassword("s3cret"), CERT_HASH);
        assertThatThrownBy(() -> plus.handleClientFirst(bytes("y,,n=,r=abc"))).isInstanceOf(ScramException.class)
                .hasMessage("SCRAM channel binding negotiation error");
        ScramServer plusSelected = new ScramServer(ScramVerifier.fromPassword("s3cret"), CERT_HASH);
        assertThatThrownBy(() -> plusSelected.handleClientFirst("SCRAM-SHA-256-PLUS", bytes("n,,n=,r=abc")))
                .isInstanceOf(ScramException.class);
        ScramServer unknownMechanism = ScramServer.forPassword("s3cret");
        assertThatThrownBy(() -> unknownMechanism.handleClientFirst("SCRAM-SHA-1", bytes("n,,n=,r=abc")))
                .isInstanceOf(ScramException.class);
    }

    @Test
    void serverRejectsMalformedClientFinalMessages() {
        for (String each : List.of("c=biws,r=" + CLIENT_NONCE + SERVER_NONCE,
                "c=biws,r=wrongnonce,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                "c=eSws,r=" + CLIENT_NONCE + SERVER_NONCE + ",p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=",
                "c=biws,r=" + CLIENT_NONCE + SERVER_NONCE + ",p=!!!",
                "c=biws,r=" + CLIENT_NONCE + SERVER_NONCE + ",p=YQ==")) {
            ScramServer server = rfcServer(ScramVerifier.fromPassword("pencil", SALT, 4096));
            server.handleClientFirst(bytes(CLIENT_FIRST));
            assertThatThrownBy(() -> server.handleClientFinal(bytes(each))).as(each)
                    .isInstanceOfSatisfying(ScramException.class, e -> assertThat(e.sqlState()).isEqualTo("08P01"));
        }
    }

    @Test
    void clientRejectsAServerThatDoesNotKnowThePassword() {
        ScramClient client = new ScramClient("user", "pencil", null, CLIENT_NONCE);
        client.clientFirst();
        client.handleServerFirst(bytes(SERVER_FIRST));

        assertThatThrownBy(() -> client.verifyServerFinal(bytes("v=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=")))
                .isInstanceOf(ScramException.class).hasMessage("incorrect server signature");
        assertThat(client.isComplete()).isFalse();
    }

    @Test
    void clientRejectsBadServerFirstMessages() {
        for (String each : List.of("r=someoneelse,s=YQ==,i=4096", "r=" + CLIENT_NONCE + ",s=YQ==,i=4096",
                "r=" + CLIENT_NONCE + "x,s=YQ==,i=0", "r=" + CLIENT_NONCE + "x,s=YQ==,i=many",
                "m=ext,r=" + CLIENT_NONCE + "x,s=YQ==,i=1", "r=" + CLIENT_NONCE + "x,i=1")) {
            ScramClient client = new ScramClient("user", "pencil", null, CLIENT_NONCE);
            client.clientFirst();
            assertThatThrownBy(() -> client.handleServerFirst(bytes(each))).as(each)
                    .isInstanceOf(ScramException.class);
        }
    }

    @Test
    void clientReportsServerError() {
        ScramClient client = new ScramClient("user", "pencil", null, CLIENT_NONCE);
        client.clientFirst();
        client.handleServerFirst(bytes(SERVER_FIRST));

        assertThatThrownBy(() -> client.verifyServerFinal(bytes("e=invalid-proof")))
                .isInstanceOf(ScramException.class).hasMessageContaining("invalid-proof");
    }

    @Test
    void callsOutOfOrderAreRejected() {
        ScramClient client = new ScramClient("pencil");
        assertThatThrownBy(() -> client.handleServerFirst(bytes(SERVER_FIRST))).isInstanceOf(
                IllegalStateException.class);
        ScramServer server = ScramServer.forPassword("pencil");
        assertThatThrownBy(() -> server.handleClientFinal(bytes(CLIENT_FINAL))).isInstanceOf(
                IllegalStateException.class);
    }

    @Test
    void passwordsAreSaslPrepped() {
        // U+2168 ROMAN NUMERAL NINE becomes "IX" under NFKC; U+00AD SOFT HYPHEN maps to nothing
        assertThat(ScramVerifier.fromPassword("\u2168", SALT, 16)).isEqualTo(
                ScramVerifier.fromPassword("IX", SALT, 16));
        assertThat(ScramVerifier.fromPassword("pä\u00ADss", SALT, 16)).isEqualTo(
                ScramVerifier.fromPassword("päss", SALT, 16));
        assertThat(SaslPrep.normalize("a\u00A0é")).isEqualTo(bytes("a é"));
    }

    @Test
    void prohibitedPasswordsAreUsedAsRawBytes() {
        String password = "é\u0007";

        assertThat(SaslPrep.prepare(password)).isNull();
        assertThat(SaslPrep.normalize(password)).isEqualTo(bytes(password));
        assertThat(SaslPrep.normalize("plain ascii\u0007")).isEqualTo(bytes("plain ascii\u0007"));
        assertThat(exchange(new ScramClient(password), ScramServer.forPassword(password))).isTrue();
    }

    private static boolean exchange(ScramClient client, ScramServer server) {
        byte[] serverFirst = server.handleClientFirst(client.mechanism(), client.clientFirst());
        byte[] serverFinal = server.handleClientFinal(client.handleServerFirst(serverFirst));
        client.verifyServerFinal(serverFinal);
        return client.isComplete() && server.isComplete();
    }

    private static ScramServer rfcServer(ScramVerifier verifier) {
        return new ScramServer(verifier, null, () -> SERVER_NONCE, false);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] bytes) {
        return new String(bytes, StandardCharsets.UTF_8);
    }
}
