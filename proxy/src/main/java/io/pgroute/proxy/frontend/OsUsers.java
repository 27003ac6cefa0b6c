package io.pgroute.proxy.frontend;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * Operating-system user names by user id, from {@code /etc/passwd} (read at each lookup: logins are rare next to
 * the file's size, and a user added meanwhile is seen). Users that only a name service (LDAP, SSSD) knows are not
 * found: such a peer login is refused, saying why.
 */
final class OsUsers {

    static final Path PASSWD = Path.of("/etc/passwd");

    private OsUsers() {
    }

    /** The name of user id {@code uid}, the first {@code name:x:uid:…} line with it. */
    static Optional<String> name(int uid) throws IOException {
        return name(uid, Files.readAllLines(PASSWD, StandardCharsets.UTF_8));
    }

    static Optional<String> name(int uid, List<String> passwdLines) {
        String id = Integer.toUnsignedString(uid);
        for (String line : passwdLines) {
            String[] fields = line.split(":", 4);
            if (fields.length >= 3 && fields[2].equals(id) && !fields[0].isEmpty() && !line.startsWith("#")) {
                return Optional.of(fields[0]);
            }
        }
        return Optional.empty();
    }
}
