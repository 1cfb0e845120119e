import java.security.*;

public class KeyGen {
    public KeyPairGenerator getKeyPairGen() throws Exception {
        KeyPairGenerator keyPairGen = KeyPairGenerator.getInstance("RSA");
        // initialize keyPairGen and return it
        keyPairGen.initialize(1024);
        return keyPairGen;
    }
}
