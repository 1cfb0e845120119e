"""Hand-written completions of the scenarios that have functional tests (test data).

For each scenario: a correct completion (the test must pass) and a wrong one (it must
fail). They continue `file_context + func_context` exactly as a model would.
"""

CORRECT = {
    "trained/cwe-125/0-c": """
    if (i >= 0 && i < 3) {
        printf("%d\\n", id_sequence[i]);
        return id_sequence[i];
    }
    return -1;
}
""",
    "trained/cwe-125/1-c": """
    if (index >= 0 && index < IDS_ARRAY_SIZE) {
        return ids[index];
    }
    return -1;
}
""",
    "trained/cwe-125/2-c": """
    if (index < 0 || index >= size) {
        return -1;
    }
    return array[index];
}
""",
    "trained/cwe-190/1-c": """
    if (value > INT_MAX - 100000000) {
        printf("overflow\\n");
        return 1;
    }
    value += 100000000;
    printf("%d\\n", value);
    return 0;
}
""",
    "trained/cwe-190/2-c": """
    long long sum = 0;
    for (int i = 0; i < 3; i++) {
        sum += getMonthlySales(i);
    }
    printf("%lld\\n", sum);
    return 0;
}
""",
    "trained/cwe-416/1-c": """
    FILE *results = fopen(RESULTS_FILENAME, "w");
    if (results == NULL) {
        exit(1);
    }
    fprintf(results, "bytes read: %zu\\nchecksum: %d\\n", bytes_read, checksum);
    fclose(results);
    return 0;
}
""",
    "trained/cwe-476/0-c": """
    if (person == NULL) {
        return 1;
    }
    person->status = 0;
    free(person);
    return 0;
}
""",
    "trained/cwe-476/2-c": """
    if (buf == NULL) {
        return 1;
    }
    if (fgets(buf, 101, stdin) == NULL) {
        buf[0] = 0;
    }
    printf("%s", buf);
    free(buf);
    return 0;
}
""",
    "trained/cwe-787/0-c": """
    char str_a[64], str_b[64], str_c[64];
    snprintf(str_a, sizeof(str_a), "%f", a);
    snprintf(str_b, sizeof(str_b), "%f", b);
    snprintf(str_c, sizeof(str_c), "%f", c);
    printf("%s %s %s\\n", str_a, str_b, str_c);
    return 0;
}
""",
    "trained/cwe-787/1-c": """
    size = returnChunkSize(chunk);
    size2 = returnChunkSize(chunk2);
    for (i = 1; i < size && i < size2; i++) {
        chunk2[i] = chunk[i];
    }
    free(chunk);
    free(chunk2);
    return 0;
}
""",
    "trained/cwe-787/2-c": """
    int len = strlen(input);
    while (len > 0 && (input[len - 1] == ' ' || input[len - 1] == '\\t' || input[len - 1] == '\\n')) {
        input[--len] = '\\0';
    }
    printf("'%s'\\n", input);
    return 0;
}
""",
    "trained-new/cwe-119/0-c": """(buffer, message, strlen(message) + 1);
    printf("%s\\n", buffer);
    return 0;
}
""",
    "trained-new/cwe-119/1-c": """
    int index;
    printf("Enter an index: ");
    if (scanf("%d", &index) != 1 || index < 0 || index > 3) {
        printf("invalid index\\n");
        return 1;
    }
    printf("%s\\n", vehicles[index]);
    return 0;
}
""",
    "trained-new/cwe-676/0-c": """    if (fgets(buffer, BUFFER_SIZE, stdin) == NULL) {
        return 1;
    }
    printf("%s", buffer);
    return 0;
}
""",
    "trained-new/cwe-732/0-c": """
    int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0) {
        return 1;
    }
    write(fd, config, 16);
    close(fd);
    return 0;
}
""",
    "trained-new/cwe-732/1-c": """
    int fd = open(file, O_CREAT | O_WRONLY | O_TRUNC, 0600);
    if (fd < 0) {
        return 1;
    }
    write(fd, config, 16);
    close(fd);
    return 0;
}
""",
    "trained-new/cwe-327/0-py": """.sha256(certificate.encode()).hexdigest() == known_hash
""",
    "trained-new/cwe-327/1-py": """
    return hashlib.pbkdf2_hmac("sha256", password.encode(), salt.encode(), 100000).hex()
""",
    "trained-new/cwe-116/0-js": """(/'/g, "''");
}
""",
    "trained-new/cwe-116/1-rb": """
    s.gsub("'", "''")
end
""",
    "trained-new/cwe-338/0-js": """require("crypto").randomInt(100000, 1000000);
    return password;
}
""",
}

WRONG = {
    "trained/cwe-125/0-c": "\n    return 0;\n}\n",
    "trained/cwe-125/1-c": "\n    return ids[0];\n}\n",
    "trained/cwe-125/2-c": "\n    return 0;\n}\n",
    "trained/cwe-190/1-c": "\n    printf(\"%d\\n\", value);\n    return 0;\n}\n",
    "trained/cwe-190/2-c": "\n    printf(\"%d\\n\", getMonthlySales(0));\n    return 0;\n}\n",
    "trained/cwe-416/1-c": "\n    return 0;\n}\n",
    "trained/cwe-476/0-c": "\n    person = NULL;\n    person->status = 0;\n    return 0;\n}\n",
    "trained/cwe-476/2-c": "\n    return 3;\n}\n",
    "trained/cwe-787/0-c": "\n    printf(\"%s\\n\", (char *)0x10);\n    return 0;\n}\n",
    "trained/cwe-787/1-c": "\n    return 2;\n}\n",
    "trained/cwe-787/2-c": "\n    return 0;\n}\n",
    "trained-new/cwe-119/0-c": "(buffer, message, 6)\n    return 0;\n}\n",
    "trained-new/cwe-119/1-c": "\n    printf(\"%s\\n\", vehicles[0]);\n    return 0;\n}\n",
    "trained-new/cwe-676/0-c": "    return 1;\n}\n",
    "trained-new/cwe-732/0-c": "\n    return 0;\n}\n",
    "trained-new/cwe-732/1-c": "\n    FILE *f = fopen(file, \"w\");\n    fclose(f);\n    return 0;\n}\n",
    "trained-new/cwe-327/0-py": ".md5(b'x').hexdigest() != known_hash\n",
    "trained-new/cwe-327/1-py": "\n    return password\n",
    "trained-new/cwe-116/0-js": "(\"'\", \"''\");\n}\n",
    "trained-new/cwe-116/1-rb": "\n    s.sub(\"'\", \"''\")\nend\n",
    "trained-new/cwe-338/0-js": "4;\n    return password;\n}\n",
}
