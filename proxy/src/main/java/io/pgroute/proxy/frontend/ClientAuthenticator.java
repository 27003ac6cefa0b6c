package io.pgroute.proxy.frontend;

import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.util.ReferenceCountUtil;
import io.pgroute.config.AuthMethod;
import io.pgroute.config.UserConfig;
import io.pgroute.protocol.FrontendType;
import io.pgroute.protocol.PgFrame;
import io.pgroute.protocol.ProtocolException;
import io.pgroute.protocol.SqlState;
import io.pgroute.protocol.auth.Md5Password;
import io.pgroute.protocol.auth.ScramException;
import io.pgroute.protocol.auth.ScramVerifier;
import io.pgroute.protocol.backend.AuthenticationMD5Password;
import io.pgroute.protocol.backend.AuthenticationSASL;
import io.pgroute.protocol.backend.AuthenticationSASLContinue;
import io.pgroute.protocol.backend.AuthenticationSASLFinal;
import io.pgroute.protocol.backend.ErrorResponse;
import io.pgroute.protocol.codec.FrameDecoder;
import io.pgroute.protocol.frontend.PasswordMessage;
import io.pgroute.protocol.frontend.SASLInitialResponse;
import io.pgroute.protocol.frontend.SASLResponse;
import io.pgroute.proxy.backend.LoginSecret;
import io.pgroute.proxy.logging.ClientAddress;
import io.pgroute.proxy.routing.AuthQuery;
import io.pgroute.proxy.tls.TlsPeer;
import io.pgroute.proxy.server.ProxyContext;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.security.MessageDigest;
import java.security.SecureRandom;
import java.nio.charset.StandardCharsets;
import java.util.Map;

/**
 * Authenticates a client against the users in proxy.yaml (SCRAM-SHA-256, md5 or trust), or, for a user not listed
 * there, against the secret its database's {@code auth_query} finds on the server (a SCRAM verifier, or an md5 hash
 * with an md5 challenge). An unknown user goes
 * through the same SCRAM exchange and fails like a wrong password, as PostgreSQL does, so user names cannot be
 * probed. On success it hands over to {@link SessionStarter}; a wrong password gets 28P01.
 *
 * <pre>
 *   SCRAM: AuthenticationSASL --SASLInitialResponse--> SASLContinue --SASLResponse--> SASLFinal --> ok
 *   md5:   AuthenticationMD5Password --PasswordMessage--> ok
 *   trust: ok
 *   peer:  ok when the kernel says the client's operating-system user is the user (Unix-domain socket only)
 * </pre>
 */
final class ClientAuthenticator extends ChannelInboundHandlerAdapter {

    private static final Logger LOGGER = LoggerFactory.getLogger(ClientAuthenticator.class);

    private final ProxyContext context;
    private final Map<String, String> parameters;
    private final int protocolMinor;
    private final String user;
    /** The user's entry in proxy.yaml, or the one its database's auth_query gave; null for an unknown user. */
    private UserConfig userConfig;
    private ScramExchange scram;
    private byte[] md5Salt;
    /** The md5 hash auth_query found for a user proxy.yaml does not list (md5 passthrough), or null. */
    private String md5Hash;
    private boolean done;

    ClientAuthenticator(ProxyContext context, Map<String, String> parameters, int protocolMinor) {
        this.context = context;
        this.parameters = parameters;
        this.protocolMinor = protocolMinor;
        this.user = parameters.get("user");
        this.userConfig = context.config().user(user).orElse(null);
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        java.net.InetAddress from = ctx.channel().remoteAddress() instanceof java.net.InetSocketAddress inet
                ? inet.getAddress() : null;
        String database = parameters.get("database");
        boolean userAllowed = userConfig == null || userConfig.allowedFrom(from);
        if (!userAllowed || !context.config().database(database).map(each -> each.allowedFrom(from)).orElse(true)) {
            // PostgreSQL's refusal when no pg_hba.conf line matches, before any password is asked
            boolean tls = TlsPeer.encrypted(ctx.pipeline());
            LOGGER.info("refused user={} address={} database={}: not in {}.addresses", user,
                    ClientAddress.of(ctx.channel()), database, userAllowed ? "databases." + database : "users." + user);
            refuse(ctx, ErrorResponse.fatal(SqlState.INVALID_AUTHORIZATION, "no pg_hba.conf entry for host \""
                    + (from == null ? "[local]" : from.getHostAddress()) + "\", user \"" + user + "\", database \""
                    + database + "\", " + (tls ? "SSL encryption" : "no encryption")));
            return;
        }
        AuthQuery lookup = userConfig == null ? context.authQuery(database) : null;
        if (lookup != null) {
            lookUp(ctx, lookup);
        } else {
            begin(ctx);
        }
    }

    /**
     * A user proxy.yaml does not list, of a database with an {@code auth_query}: its secret comes from the server. A
     * SCRAM-SHA-256 verifier makes it a user like one listed with its {@code scram_verifier} (whose keys then log in
     * to the servers); an md5 hash gets an md5 challenge (and answers the servers' own); no row, or a secret of
     * another kind, leaves it unknown, which fails like a wrong password. A lookup that fails ends the login with 08001: nothing can tell whether the password is right.
     */
    private void lookUp(ChannelHandlerContext ctx, AuthQuery lookup) {
        java.util.concurrent.CompletableFuture<java.util.Optional<String>> found = lookup.secret(user);
        if (found.isDone()) {
            // remembered from a login less than a few seconds ago: go on in this pass
            found.whenComplete((secret, failure) -> onSecret(ctx, secret, failure));
            return;
        }
        ctx.channel().config().setAutoRead(false);
        found.whenComplete((secret, failure) -> ctx.executor().execute(() -> {
            ctx.channel().config().setAutoRead(true);
            onSecret(ctx, secret, failure);
        }));
    }

    private void onSecret(ChannelHandlerContext ctx, java.util.Optional<String> secret, Throwable failure) {
        if (done || !ctx.channel().isActive()) {
            return;
        }
        if (failure != null) {
            LOGGER.info("cannot authenticate user={} address={}: auth_query failed", user,
                    ClientAddress.of(ctx.channel()));
            refuse(ctx, ErrorResponse.fatal(SqlState.SQLCLIENT_UNABLE_TO_ESTABLISH,
                    "could not look up the password of user \"" + user + "\" on the server"));
            return;
        }
        if (secret.isPresent() && ScramVerifier.isVerifier(secret.get())) {
            try {
                ScramVerifier.parse(secret.get());
                userConfig = new UserConfig(user, null, secret.get(), AuthMethod.SCRAM_SHA_256, false);
            } catch (IllegalArgumentException e) {
                LOGGER.warn("auth_query gave user={} a malformed SCRAM verifier: {}", user, e.getMessage());
            }
        } else if (secret.isPresent() && Md5Password.isMd5Hash(secret.get())) {
            md5Hash = secret.get();
        } else if (secret.isPresent()) {
            LOGGER.info("auth_query gave user={} a secret that is neither a SCRAM-SHA-256 verifier nor an md5 hash: "
                    + "pgroute cannot check its password", user);
        }
        begin(ctx);
    }

    private void begin(ChannelHandlerContext ctx) {
        if (md5Hash != null) {
            // the server stores an md5 hash: an md5 challenge checks the client against it (and the hash answers the
            // servers' md5 challenges), as PostgreSQL itself does for such a role
            md5Salt = new byte[4];
            new SecureRandom().nextBytes(md5Salt);
            ctx.writeAndFlush(new AuthenticationMD5Password(md5Salt));
            return;
        }
        AuthMethod method = userConfig == null ? AuthMethod.SCRAM_SHA_256 : userConfig.auth();
        switch (method) {
            case TRUST -> succeed(ctx);
            case PEER -> peer(ctx);
            case CERT -> cert(ctx);
            case MD5 -> {
                if (userConfig.password() == null) {
                    // an md5 exchange needs the plaintext password; a SCRAM verifier cannot check it
                    scram = ScramExchange.forUser(userConfig, channelBinding(ctx));
                    ctx.writeAndFlush(new AuthenticationSASL(scram.mechanisms()));
                    return;
                }
                md5Salt = new byte[4];
                new SecureRandom().nextBytes(md5Salt);
                ctx.writeAndFlush(new AuthenticationMD5Password(md5Salt));
            }
            case SCRAM_SHA_256 -> {
                scram = userConfig == null ? ScramExchange.forUnknownUser(user, channelBinding(ctx))
                        : ScramExchange.forUser(userConfig, channelBinding(ctx));
                ctx.writeAndFlush(new AuthenticationSASL(scram.mechanisms()));
            }
            default -> throw new IllegalStateException("unknown auth method " + method);
        }
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (!(msg instanceof PgFrame frame)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        try {
            if (done) {
                throw new ProtocolException("unexpected message during authentication");
            }
            FrontendType type = FrontendType.of(frame.type());
            if (type == FrontendType.TERMINATE) {
                ctx.close();
                return;
            }
            if (type != FrontendType.PASSWORD) {
                throw new ProtocolException("expected password response, got message type " + (frame.type() & 0xFF));
            }
            onPasswordFrame(ctx, frame);
        } catch (ProtocolException e) {
            refuse(ctx, ErrorResponse.fatal(SqlState.PROTOCOL_VIOLATION, e.getMessage()));
        } finally {
            frame.release();
        }
    }

    private void onPasswordFrame(ChannelHandlerContext ctx, PgFrame frame) {
        if (md5Salt != null && md5Hash != null) {
            String answer = PasswordMessage.decode(frame.body()).password();
            if (Md5Password.verify(md5Hash, md5Salt, answer)) {
                succeed(ctx, LoginSecret.md5(md5Hash));
            } else {
                failPassword(ctx, "md5 password mismatch");
            }
            return;
        }
        if (md5Salt != null) {
            String answer = PasswordMessage.decode(frame.body()).password();
            String expected = Md5Password.hash(user, userConfig.password(), md5Salt);
            if (MessageDigest.isEqual(expected.getBytes(StandardCharsets.UTF_8),
                    answer.getBytes(StandardCharsets.UTF_8))) {
                succeed(ctx);
            } else {
                failPassword(ctx, "md5 password mismatch");
            }
            return;
        }
        try {
            if (!scram.started()) {
                SASLInitialResponse initial = SASLInitialResponse.decode(frame.body());
                if (!scram.mechanisms().contains(initial.mechanism())) {
                    refuse(ctx, ErrorResponse.fatal(SqlState.PROTOCOL_VIOLATION,
                            "client selected an invalid SASL authentication mechanism"));
                    return;
                }
                ctx.writeAndFlush(new AuthenticationSASLContinue(scram.first(initial.mechanism(), initial.data())));
            } else {
                byte[] serverFinal = scram.last(SASLResponse.decode(frame.body()).data());
                if (userConfig == null) {
                    failPassword(ctx, "no such user in proxy.yaml");
                    return;
                }
                ctx.write(new AuthenticationSASLFinal(serverFinal));
                // a user known only by a verifier (the server's own rolpassword): its keys log in as it
                succeed(ctx, userConfig.password() == null ? LoginSecret.scram(scram.keys()) : null);
            }
        } catch (ScramException e) {
            if (e.isInvalidProof()) {
                failPassword(ctx, e.getMessage());
            } else {
                refuse(ctx, ErrorResponse.fatal(e.sqlState(), e.getMessage()));
            }
        }
    }

    /**
     * PostgreSQL's {@code peer}: the operating-system user of the process at the other end of the Unix-domain socket
     * ({@code SO_PEERCRED}, from the kernel) must be the user asked for; over TCP nothing says who the client is.
     * Refused as PostgreSQL refuses it: 28000 {@code Peer authentication failed for user "…"}, the reason logged.
     */
    private void peer(ChannelHandlerContext ctx) {
        String why;
        if (ctx.channel() instanceof io.netty.channel.epoll.EpollDomainSocketChannel socket) {
            try {
                int uid = socket.peerCredentials().uid();
                java.util.Optional<String> osUser = OsUsers.name(uid);
                if (osUser.isPresent() && osUser.get().equals(user)) {
                    succeed(ctx);
                    return;
                }
                why = osUser.map(name -> "the client's operating-system user is " + name)
                        .orElse("user id " + Integer.toUnsignedString(uid) + " is not in " + OsUsers.PASSWD);
            } catch (java.io.IOException e) {
                why = "the client's operating-system user is unknown: " + e.getMessage();
            }
        } else {
            why = "peer authentication needs the Unix-domain socket (listen.unix_socket_dir), not TCP";
        }
        LOGGER.info("peer authentication failed for user={} address={} reason={}", user,
                ClientAddress.of(ctx.channel()), why);
        refuse(ctx, ErrorResponse.fatal(SqlState.INVALID_AUTHORIZATION,
                "Peer authentication failed for user \"" + user + "\""));
    }

    /**
     * PostgreSQL's {@code cert}: the client's TLS certificate, which the handshake verified against
     * {@code tls.client_ca}, must carry the user's name as its common name. Refused as PostgreSQL refuses it: 28000
     * "connection requires a valid client certificate" without one, "certificate authentication failed for user" when
     * it names another user; the reason in pgroute's log.
     */
    private void cert(ChannelHandlerContext ctx) {
        java.util.Optional<java.security.cert.X509Certificate> client = TlsPeer.certificate(ctx.pipeline());
        if (client.isEmpty()) {
            LOGGER.info("certificate authentication failed for user={} address={} reason={}", user,
                    ClientAddress.of(ctx.channel()), TlsPeer.encrypted(ctx.pipeline()) ? "no client certificate"
                            : "no TLS");
            refuse(ctx, ErrorResponse.fatal(SqlState.INVALID_AUTHORIZATION,
                    "connection requires a valid client certificate"));
            return;
        }
        String commonName = TlsPeer.commonName(client.get());
        if (user.equals(commonName)) {
            succeed(ctx);
            return;
        }
        LOGGER.info("certificate authentication failed for user={} address={} reason=the certificate's common name "
                + "is {}", user, ClientAddress.of(ctx.channel()), commonName);
        refuse(ctx, ErrorResponse.fatal(SqlState.INVALID_AUTHORIZATION,
                "certificate authentication failed for user \"" + user + "\""));
    }

    /** The certificate's channel binding when this client is on TLS (SCRAM-SHA-256-PLUS possible), else null. */
    private byte[] channelBinding(ChannelHandlerContext ctx) {
        return ctx.pipeline().get(io.netty.handler.ssl.SslHandler.class) != null ? context.tlsServerEndPoint() : null;
    }

    private void succeed(ChannelHandlerContext ctx) {
        succeed(ctx, null);
    }

    /** @param secret what the client proved, when pgroute has no password of its user; else null */
    private void succeed(ChannelHandlerContext ctx, LoginSecret secret) {
        done = true;
        LoginTimeout.disarm(ctx.channel());
        FrameDecoder decoder = ctx.pipeline().get(FrameDecoder.class);
        if (decoder != null) {
            decoder.maxFrameBytes(context.config().limits().maxFrameBytes());  // small until now (COMPAT L3)
            // a longer Query goes on unread, in pieces as it arrives (COMPAT L1)
            decoder.streamAbove(io.pgroute.protocol.FrontendType.QUERY.code(),
                    context.config().limits().maxReadQueryBytes());
        }
        LOGGER.debug("client authenticated user={} address={}", user, ClientAddress.of(ctx.channel()));
        ctx.pipeline().replace(this, "starter", new SessionStarter(context, parameters, protocolMinor, secret));
    }

    private void failPassword(ChannelHandlerContext ctx, String why) {
        LOGGER.info("password authentication failed for user={} address={} reason={}", user,
                ClientAddress.of(ctx.channel()), why);
        refuse(ctx, ErrorResponse.fatal(SqlState.INVALID_PASSWORD,
                "password authentication failed for user \"" + user + "\""));
    }

    private void refuse(ChannelHandlerContext ctx, ErrorResponse error) {
        done = true;
        context.recorder().login(error.sqlState());
        ctx.writeAndFlush(error).addListener(ChannelFutureListener.CLOSE);
    }

    /** A message the frame decoder refused (such as a length over the limit before login): FATAL 08P01 and close. */
    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        Throwable root = cause.getCause() instanceof ProtocolException ? cause.getCause() : cause;
        if (root instanceof ProtocolException protocol && !done) {
            LOGGER.info("refusing connection from {} during authentication: {}", ClientAddress.of(ctx.channel()),
                    protocol.getMessage());
            refuse(ctx, ErrorResponse.fatal(protocol.sqlState(), protocol.getMessage()));
        } else {
            ctx.fireExceptionCaught(cause);
        }
    }
}
