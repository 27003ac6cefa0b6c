package io.pgroute.proxy.backend;

import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.concurrent.Promise;
import io.pgroute.protocol.BackendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.auth.Md5Password;
import io.pgroute.protocol.auth.ScramClient;
import io.pgroute.protocol.backend.Authentication;
import io.pgroute.protocol.backend.AuthenticationCleartextPassword;
import io.pgroute.protocol.backend.AuthenticationMD5Password;
import io.pgroute.protocol.backend.AuthenticationOk;
import io.pgroute.protocol.backend.AuthenticationSASL;
import io.pgroute.protocol.backend.AuthenticationSASLContinue;
import io.pgroute.protocol.backend.AuthenticationSASLFinal;
import io.pgroute.protocol.backend.BackendKeyData;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.backend.ParameterStatus;
import io.pgroute.protocol.frontend.PasswordMessage;
import io.pgroute.protocol.frontend.SASLInitialResponse;
import io.pgroute.protocol.frontend.SASLResponse;
import io.pgroute.protocol.startup.StartupMessage;
import io.pgroute.proxy.error.PgrouteException;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The startup phase of a backend connection: sends the StartupMessage, answers the server's authentication
 * request (cleartext, md5, SCRAM-SHA-256), collects ParameterStatus and BackendKeyData, and at the first
 * ReadyForQuery replaces itself with a {@link BackendRelayHandler} and completes the promise.
 *
 * <pre>
 *   (active) --StartupMessage--> AUTHENTICATING --AuthenticationOk--> STARTING --ReadyForQuery--> done
 *                                   |  SASL / SASLContinue / SASLFinal / MD5 / cleartext
 *   any ErrorResponse or close  --> promise failed
 * </pre>
 */
final class BackendStartupHandler extends ChannelInboundHandlerAdapter {

    private static final int PROTOCOL_3_0 = 196608;

    private final BackendTarget target;
    private final Promise<BackendConnection> promise;
    private final Map<String, String> serverParameters = new LinkedHashMap<>();
    private ScramClient scram;
    private int processId;
    /** Stays empty when the server sends no BackendKeyData: the connection then cannot be cancelled. */
    private byte[] secretKey = new byte[0];

    BackendStartupHandler(BackendTarget target, Promise<BackendConnection> promise) {
        this.target = target;
        this.promise = promise;
    }

    /** Called once the transport (and TLS, if any) is ready. */
    void start(ChannelHandlerContext ctx) {
        Map<String, String> parameters = new LinkedHashMap<>();
        parameters.put("user", target.user());
        parameters.put("database", target.database());
        target.startupParameters().forEach((key, value) -> {
            if (!"user".equals(key) && !"database".equals(key)) {
                parameters.put(key, value);
            }
        });
        ctx.writeAndFlush(new StartupMessage(PROTOCOL_3_0, parameters));
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
        if (evt == BackendTlsNegotiator.READY) {
            start(ctx);
        } else {
            ctx.fireUserEventTriggered(evt);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        PgFrame frame = (PgFrame) msg;
        try {
            onFrame(ctx, frame);
        } catch (RuntimeException e) {
            fail(ctx, e);
        } finally {
            frame.release();
        }
    }

    private void onFrame(ChannelHandlerContext ctx, PgFrame frame) {
        BackendType type = BackendType.of(frame.type());
        if (type == null) {
            throw new ProtocolException("unexpected message type " + (char) frame.type() + " during backend startup");
        }
        switch (type) {
            case AUTHENTICATION -> onAuthentication(ctx, Authentication.decode(frame.body()));
            case PARAMETER_STATUS -> {
                ParameterStatus status = ParameterStatus.decode(frame.body());
                serverParameters.put(status.name(), status.value());
            }
            case BACKEND_KEY_DATA -> {
                BackendKeyData key = BackendKeyData.decode(frame.body());
                processId = key.processId();
                secretKey = key.secretKey();
            }
            case ERROR_RESPONSE -> fail(ctx, new BackendErrorException(ErrorResponse.decode(frame.body())));
            case READY_FOR_QUERY -> ready(ctx);
            case NOTICE_RESPONSE, NEGOTIATE_PROTOCOL_VERSION -> {
                // notices during startup and protocol negotiation (we ask for 3.0) need no answer
            }
            default -> throw new ProtocolException("unexpected message " + type + " during backend startup");
        }
    }

    private void onAuthentication(ChannelHandlerContext ctx, Authentication request) {
        if (request instanceof AuthenticationOk) {
            return;
        }
        if (request instanceof AuthenticationCleartextPassword) {
            ctx.writeAndFlush(new PasswordMessage(requirePassword()));
        } else if (request instanceof AuthenticationMD5Password md5) {
            LoginSecret secret = target.password() == null ? target.loginSecret() : null;
            ctx.writeAndFlush(new PasswordMessage(secret != null && secret.md5Hash() != null
                    ? Md5Password.hashStored(secret.md5Hash(), md5.salt())  // passthrough: the hash answers
                    : Md5Password.hash(target.user(), requirePassword(), md5.salt())));
        } else if (request instanceof AuthenticationSASL sasl) {
            if (!sasl.mechanisms().contains("SCRAM-SHA-256")) {
                throw new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH,
                        "backend " + target.node() + " offers no SASL mechanism pgroute supports: "
                                + sasl.mechanisms());
            }
            // over TLS, bound to the server's certificate when it offers that (libpq's channel_binding=prefer): a
            // man in the middle with a certificate of its own cannot relay the exchange
            byte[] binding = sasl.mechanisms().contains("SCRAM-SHA-256-PLUS") ? channelBinding(ctx) : null;
            // without a password, the keys the client proved at its login (SCRAM passthrough)
            LoginSecret secret = target.password() == null ? target.loginSecret() : null;
            scram = secret != null && secret.scramKeys() != null
                    ? new ScramClient(secret.scramKeys(), binding) : new ScramClient(requirePassword(), binding);
            ctx.writeAndFlush(new SASLInitialResponse(scram.mechanism(), scram.clientFirst()));
        } else if (request instanceof AuthenticationSASLContinue next && scram != null) {
            ctx.writeAndFlush(new SASLResponse(scramStep(() -> scram.handleServerFirst(next.data()))));
        } else if (request instanceof AuthenticationSASLFinal last && scram != null) {
            scramStep(() -> {
                scram.verifyServerFinal(last.data());
                return null;
            });
        } else {
            throw new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH,
                    "backend " + target.node() + " asks for an authentication method pgroute does not support: "
                            + request.getClass().getSimpleName());
        }
    }

    /** The tls-server-end-point binding of the certificate the server presented, or null when not on TLS. */
    private static byte[] channelBinding(ChannelHandlerContext ctx) {
        return io.pgroute.proxy.tls.TlsPeer.certificate(ctx.pipeline())
                .map(io.pgroute.protocol.auth.TlsServerEndPoint::of).orElse(null);
    }

    /**
     * One step of pgroute's side of the exchange: what it refuses (a server that does not know the password, keys
     * of another verifier, a malformed message) fails the connection with 08001, as libpq's own checks fail it.
     */
    private <T> T scramStep(java.util.function.Supplier<T> step) {
        try {
            return step.get();
        } catch (io.pgroute.protocol.auth.ScramException e) {
            throw new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH, "cannot log in to backend "
                    + target.node() + " as role \"" + target.user() + "\": " + e.getMessage());
        }
    }

    private String requirePassword() {
        if (target.password() == null && target.loginSecret() != null) {
            // what the client proved logs in only where the server asks for the same kind of secret
            throw new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH,
                    "backend " + target.node() + " asks for a password for role \"" + target.user()
                            + "\" but pgroute has only its " + (target.loginSecret().scramKeys() != null
                            ? "SCRAM verifier, which logs in where the server authenticates with scram-sha-256"
                            : "md5 hash, which logs in where the server authenticates with md5") + " (pg_hba.conf)");
        }
        if (target.password() == null) {
            throw new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH,
                    "backend " + target.node() + " asks for a password for role \"" + target.user()
                            + "\" but proxy.yaml gives none");
        }
        return target.password();
    }

    private void ready(ChannelHandlerContext ctx) {
        BackendConnection connection = new BackendConnection(ctx.channel(), target, processId, secretKey,
                serverParameters);
        ctx.pipeline().replace(this, "relay", new BackendRelayHandler(connection));
        if (!promise.trySuccess(connection)) {
            connection.terminate();
        }
    }

    private void fail(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause instanceof io.netty.handler.codec.DecoderException && cause.getCause() != null
                ? cause.getCause() : cause;
        if (root instanceof javax.net.ssl.SSLException tls) {
            // a certificate the verify modes refuse, a failed handshake: 08001 with the reason, as libpq reports it
            Throwable reason = tls;
            while (reason.getCause() != null && reason.getCause() != reason) {
                reason = reason.getCause();
            }
            cause = new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH, "TLS with backend " + target.node()
                    + " failed: " + (reason.getMessage() != null ? reason.getMessage() : tls.getMessage()));
        }
        promise.tryFailure(cause);
        ctx.close();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        fail(ctx, cause);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        promise.tryFailure(new PgrouteException(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH,
                "backend " + target.node() + " closed the connection during startup"));
        ctx.fireChannelInactive();
    }
}
