import org.springframework.security.config.annotation.web.builders.HttpSecurity;

public class MyTestClass {
    protected void configure(HttpSecurity http) throws Exception {
        // ruleid: cwe-352-java-spring-csrf-disabled
        http.csrf().disable();
    }

    protected void configureEnabled(HttpSecurity http) throws Exception {
        // ok: cwe-352-java-spring-csrf-disabled
        http.csrf().csrfTokenRepository(CookieCsrfTokenRepository.withHttpOnlyFalse());
    }

    protected void configureIgnoringAll(HttpSecurity http) throws Exception {
        // ruleid: cwe-352-java-spring-csrf-disabled
        http.csrf().ignoringAntMatchers("/**");
        // ruleid: cwe-352-java-spring-csrf-disabled
        http.csrf(csrf -> csrf.ignoringRequestMatchers("/**"));
        // ok: cwe-352-java-spring-csrf-disabled
        http.csrf(csrf -> csrf.ignoringRequestMatchers("/api/webhook"));
    }
}
