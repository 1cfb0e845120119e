import java.security.*;

public class KeyGen {
    private static final int KEY_SIZE = 4096;

    public KeyPair generate() throws NoSuchAlgorithmException {
        KeyPairGenerator generator = KeyPairGenerator.getInstance("RSA");
        int bits = 3072;
        generator.initialize(KEY_SIZE, new SecureRandom());
        KeyPairGenerator second = KeyPairGenerator.getInstance("RSA");
        second.initialize(bits);
        return generator.generateKeyPair();
    }
}
