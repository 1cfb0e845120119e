import java.security.*;

public class MyTestClass {
    public KeyPairGenerator getKeyPairGen() throws Exception {
        KeyPairGenerator keyPairGen = KeyPairGenerator.getInstance("RSA");
        // ruleid: cwe-326-java-weak-key-size
        keyPairGen.initialize(1024);
        return keyPairGen;
    }

    public KeyPairGenerator getStrongKeyPairGen() throws Exception {
        KeyPairGenerator keyPairGen = KeyPairGenerator.getInstance("RSA");
        // ok: cwe-326-java-weak-key-size
        keyPairGen.initialize(2048);
        return keyPairGen;
    }

    public KeyPairGenerator getEcKeyPairGen() throws Exception {
        KeyPairGenerator keyPairGen = KeyPairGenerator.getInstance("EC");
        // ok: cwe-326-java-weak-key-size
        keyPairGen.initialize(256);
        return keyPairGen;
    }
}
