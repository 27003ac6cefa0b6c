package io.pgroute.proxy.frontend;

import org.junit.jupiter.api.Test;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class OsUsersTest {

    private static final List<String> PASSWD = List.of(
            "root:x:0:0:root:/root:/bin/bash",
            "# a comment:x:1000:",
            "nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin",
            "alice:x:1000:1000::/home/alice:/bin/sh",
            "alias:x:1000:1000::/home/alice:/bin/sh",
            "broken-line");

    @Test
    void findsTheFirstNameOfAUserId() {
        assertThat(OsUsers.name(0, PASSWD)).contains("root");
        assertThat(OsUsers.name(1000, PASSWD)).contains("alice");
        assertThat(OsUsers.name(65534, PASSWD)).contains("nobody");
        assertThat(OsUsers.name(4242, PASSWD)).isEmpty();
        assertThat(OsUsers.name(-2, List.of("big:x:4294967294:1::/:/bin/sh"))).as("ids above 2^31").contains("big");
    }
}
