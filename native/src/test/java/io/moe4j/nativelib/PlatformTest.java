package io.moe4j.nativelib;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

class PlatformTest {
    @Test
    void namesFollowTheBundledFolders() {
        assertEquals("linux-x86_64", Platform.of("Linux", "amd64").toString());
        assertEquals("linux-arm64", Platform.of("Linux", "aarch64").toString());
        assertEquals("macosx-arm64", Platform.of("Mac OS X", "aarch64").toString());
        assertEquals("windows-x86_64", Platform.of("Windows 11", "amd64").toString());
    }
}
